package rawjson

// skipValue returns the index after the value starting at b[i] (white
// space before it allowed), checking it as gjson.ValidBytes does. Objects
// and arrays are walked with an explicit stack of the containers open.
func skipValue(b []byte, i int) (int, bool) {
	var open [32]byte
	stack := open[:0]
	var ok bool
	for {
		if i = skipSpace(b, i); i >= len(b) {
			return i, false
		}
		if c := b[i]; c == '{' || c == '[' {
			if i = skipSpace(b, i+1); i >= len(b) || b[i] != c+2 { // '{'+2 is '}', '['+2 is ']'
				if c == '{' {
					if i, ok = skipKey(b, i); !ok {
						return i, false
					}
				}
				stack = append(stack, c)
				continue // to the container's first value
			}
			i++ // empty
		} else if i, ok = skipScalar(b, i); !ok {
			return i, false
		}
		// A value ended at i: close the containers that end with it.
		if i, stack, ok = closeValue(b, i, stack); !ok || len(stack) == 0 {
			return i, ok
		}
	}
}

// closeValue reads what follows a value inside the containers on stack:
// the closing brackets of those that end, then either the end of the
// outermost one (stack comes back empty) or a comma, and the next member's
// key in an object, leaving i at the next value.
func closeValue(b []byte, i int, stack []byte) (int, []byte, bool) {
	var ok bool
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		if i = skipSpace(b, i); i >= len(b) {
			return i, stack, false
		}
		if b[i] == ',' {
			if i = skipSpace(b, i+1); top == '{' {
				i, ok = skipKey(b, i)
				return i, stack, ok
			}
			return i, stack, true
		}
		if b[i] != top+2 {
			return i, stack, false
		}
		stack = stack[:len(stack)-1]
		i++
	}
	return i, stack, true
}

// skipScalar reads the string, number or literal starting at b[i].
func skipScalar(b []byte, i int) (int, bool) {
	switch b[i] {
	case '"':
		end, _, ok := skipString(b, i+1)
		return end, ok
	case 't':
		return skipLiteral(b, i, "true")
	case 'f':
		return skipLiteral(b, i, "false")
	case 'n':
		return skipLiteral(b, i, "null")
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return skipNumber(b, i)
	}
	return i, false
}

// skipKey reads `"key"` and the colon after it, leaving i after the colon.
func skipKey(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return i, false
	}
	i, _, ok := skipString(b, i+1)
	if !ok {
		return i, false
	}
	if i = skipSpace(b, i); i >= len(b) || b[i] != ':' {
		return i, false
	}
	return i + 1, true
}
