package rawjson

import "bytes"

// Each, EachElement and Field read documents already checked by Valid or
// Members, so they only need to find where each value ends, not to check
// it again. Strings, most of a chat body, are crossed with IndexByte,
// which reads many bytes per instruction, where the checking scan must
// look at every byte for controls and escapes.
//
// On a document that was not checked these functions still never panic
// or loop; what they report is then unspecified.

// stringEnd returns the index after the closing quote of the checked
// string whose contents start at b[i], or len(b).
func stringEnd(b []byte, i int) int {
	for i < len(b) {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			break
		}
		q := i + j
		// The quote is escaped when an odd run of backslashes precedes it
		// (none of them can be the opening quote's neighbour outside the
		// string: i is past it).
		k := q
		for k > i && b[k-1] == '\\' {
			k--
		}
		if (q-k)%2 == 0 {
			return q + 1
		}
		i = q + 1
	}
	return len(b)
}

// valueEnd returns the index after the checked value starting at b[i].
func valueEnd(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			if i = stringEnd(b, i+1); depth == 0 {
				return i
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth <= 0 {
				return i + 1
			}
		default:
			if depth == 0 { // a number or a literal
				for i < len(b) && !endsScalar(b[i]) {
					i++
				}
				return i
			}
		}
		i++
	}
	return i
}

func endsScalar(c byte) bool {
	return c == ',' || c == '}' || c == ']' || isSpace(c)
}

// keyEnd returns the index after the colon that follows the checked key
// whose opening quote is at b[i], and whether there was one.
func keyEnd(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return i, false
	}
	if i = skipSpace(b, stringEnd(b, i+1)); i >= len(b) || b[i] != ':' {
		return i, false
	}
	return i + 1, true
}
