package pii

import "bytes"

// maxPEM bounds a private key block: an RSA 4096 key is about 3.3 KB, and
// an encrypted one a little more.
const maxPEM = 8192

var (
	pemBegin = []byte("-----BEGIN ")
	pemEnd   = []byte("-----END ")
	pemDash  = []byte("-----")
)

func (sc *scan) pem(i int) hit {
	end, _ := pemBlock(sc.text, i, &sc.noEnd)
	if end == 0 {
		return hit{}
	}
	return hit{t: tPrivateKey, start: i, end: end, score: 1}
}

// pemBlock returns the end of a private key block starting at i, from its
// BEGIN line through its END line, and whether the END line was there. A
// block with no END within maxPEM bytes runs to the end of its base64 body.
// noEnd, when not nil, remembers how far a search found no END line, so a
// text of repeated BEGIN lines is searched once, not once per line.
func pemBlock(text []byte, i int, noEnd *int) (int, bool) {
	if !bytes.HasPrefix(text[i:], pemBegin) || at(text, i-1) == '-' {
		return 0, false
	}
	j := i + len(pemBegin)
	k := pemLabel(text, j)
	if k < 0 || !bytes.Contains(text[j:k], []byte("PRIVATE KEY")) {
		return 0, false
	}
	body := k + len(pemDash)
	limit := min(len(text), i+maxPEM)
	from := body
	if noEnd != nil && *noEnd > from {
		from = min(*noEnd, limit)
	}
	if e := bytes.Index(text[from:limit], pemEnd); e >= 0 {
		e += from + len(pemEnd)
		if m := pemLabel(text, e); m >= 0 {
			return m + len(pemDash), true
		}
	} else if noEnd != nil {
		*noEnd = max(limit-len(pemEnd), from)
	}
	b := body
	for b < limit && is(text[b], cPEMBody) {
		b++
	}
	return b, false
}

// pemLabel returns the offset of the "-----" that closes a label such as
// "RSA PRIVATE KEY" starting at j, or -1.
func pemLabel(text []byte, j int) int {
	k := j
	for k < len(text) && k-j <= 48 && (is(text[k], cUpper|cDigit) || text[k] == ' ') {
		k++
	}
	if k == j || !bytes.HasPrefix(text[k:], pemDash) {
		return -1
	}
	return k
}

// openPEM returns the start of the first private key block whose END line
// has not arrived and still could, or len(text).
func openPEM(text []byte) int {
	k := len(text)
	b := max(0, k-maxPEM+1)
	for {
		i := bytes.Index(text[b:], pemBegin)
		if i < 0 {
			return k
		}
		b += i
		end, complete := pemBlock(text, b, nil)
		switch {
		case end != 0 && !complete, end == 0 && pemHeaderOpen(text, b):
			return b
		case end != 0:
			b = end
		default:
			b++
		}
	}
}

// pemHeaderOpen reports whether the BEGIN line at b runs to the end of
// text and could still become a private key header.
func pemHeaderOpen(text []byte, b int) bool {
	j := b + len(pemBegin)
	for _, c := range text[j:] {
		if !is(c, cUpper|cDigit) && c != ' ' && c != '-' {
			return false
		}
	}
	return len(text)-j <= 48+len(pemDash)
}
