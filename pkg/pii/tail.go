package pii

import "bytes"

// tailStart walks back from the end of text over the last token, then over
// earlier words joined to it by spaces, parentheses or quotes as long as
// they could be pieces of one spaced entity. It reports far when the cut
// is further back than any open entity reaches: the last token alone is
// longer than any entity, or spaced pieces go back further than one
// spaced entity can be long. A finding the cut splits is then complete.
func tailStart(text []byte) (int, bool) {
	k := len(text)
	j := k
	if k >= 2 && text[k-1] == ',' && is(text[k-2], cDigit) {
		// "0000," may yet be "0000,5": numberEnd reads past a comma.
		j--
	}
	for j > 0 && is(text[j-1], cGlue) {
		j--
		if k-j > maxToken+maxKey {
			return j, true
		}
	}
	return chainStart(text, j)
}

// chainStart walks back from the word starting at j over the words joined
// to it by spaces, parentheses or quotes that could be pieces of one
// spaced entity with it.
func chainStart(text []byte, j int) (c int, limited bool) {
	last := j
	c = j
	for {
		m := j
		for m > 0 && j-m < 6 && is(text[m-1], cSpacey) {
			m--
		}
		if m == j || m > 0 && is(text[m-1], cSpacey) {
			break
		}
		w := m
		for w > 0 && m-w <= maxKey+8 && is(text[w-1], cGlue) {
			w--
		}
		long := w > 0 && is(text[w-1], cGlue)
		if !long && piece(text[w:m]) {
			if last-w > spacedMax {
				// Too far back for one spaced entity to reach the end,
				// but the cut may split an entity here: settle checks.
				limited = true
				break
			}
			j, c = w, w
			continue
		}
		// Only the end of the word can still join: a digit group after
		// other glue ("!0100000") or a context word or key name at the
		// end of a long token ("...sfW:SSN :").
		if t := tailPiece(text, w, m); t < m && last-t <= spacedMax {
			c = t
		}
		break
	}
	if at(text, c-1) == '(' {
		c--
	}
	return c, limited
}

// gatingWord returns the start of the token holding the first context
// word in the last ctxHold bytes of text that could gate a number still to
// come ("SSN#" before nine digits), or len(text).
func gatingWord(text []byte) int {
	k := len(text)
	lo := max(0, k-ctxHold)
	var buf [ctxHold]byte
	w := lower(buf[:0], text[lo:])
	first := k
	for _, list := range [...][]string{ssnContext, phoneContext} {
		for _, word := range list {
			if i := bytes.Index(w, []byte(word)); i >= 0 && lo+i < first {
				first = lo + i
			}
		}
	}
	for stop := first - maxKey; first < k && first > 0 && first > stop && is(text[first-1], cGlue); {
		first--
	}
	return first
}

// tailPiece returns the start of the longest end of text[w:m] that is a
// piece, or m.
func tailPiece(text []byte, w, m int) int {
	g := m
	for g > w && m-g <= maxGroupRun && groupByte(text[g-1]) {
		g--
	}
	if g > w && groupByte(text[g-1]) {
		// A run of group bytes longer than any spaced entity: nothing in
		// it can join a later word.
		return m
	}
	run := g
	// The first place in the run where a number can start ("a0+1" holds
	// "1", "a01" holds nothing).
	for g < m && !groupStart(text, g) {
		g++
	}
	best := g
	t := m
	for t > w && m-t < 3 && !is(text[t-1], cWord) {
		t--
	}
	e := t
	for t > w && e-t < maxKey && is(text[t-1], cWord) {
		t--
	}
	if t < e && t < run && piece(text[t:m]) {
		best = min(best, t)
	}
	return best
}

// groupStart reports whether the scan could start a spaced entity at i:
// a phone at '+' or '(', a number at a digit, an IBAN at a capital.
func groupStart(text []byte, i int) bool {
	switch c := text[i]; {
	case is(c, cDigit):
		return numberStart(text, i)
	case c == '+' || c == '(' || is(c, cUpper):
		return !is(at(text, i-1), cWord)
	}
	return false
}

// maxGroupRun bounds a word of digit groups that can be part of a spaced
// entity ("+1-415-555-0132x123"; a card in four groups is 19).
const maxGroupRun = 32

func groupByte(c byte) bool {
	return is(c, cDigit|cUpper) || c == '+' || c == '-' || c == '.' || c == '/' || c == 'x'
}

// withContext moves the cut back over the words that may gate a plain
// number in the held text (nine digits after "SSN", ten after "phone"), so
// a stream that rescans from the cut still sees them. It stops just after
// a byte no token contains.
func withContext(text []byte, c int) (int, bool) {
	widened := false
	for hi := len(text); c > 0; {
		first := gatedNumber(text, c, hi)
		if first < 0 || first-ctxHold >= c {
			return c, widened
		}
		b := max(0, first-ctxHold)
		for stop := b - maxKey; b > 0 && b > stop && is(text[b-1], cGlue); {
			b--
		}
		if b > 0 && is(text[b-1], cGlue) {
			return c, widened
		}
		b, _ = chainStart(text, b)
		if b >= c || len(text)-b > maxHold {
			return c, widened
		}
		c, hi, widened = b, c, true
	}
	return c, widened
}

// gatedNumber returns the start of the first run of digits in text[lo:hi]
// that a context word could make an entity, or -1.
func gatedNumber(text []byte, lo, hi int) int {
	k := len(text)
	for i := lo; i < hi; {
		if !is(text[i], cDigit) {
			i++
			continue
		}
		j := i
		for j < k && is(text[j], cDigit) {
			j++
		}
		if n := j - i; ((n >= 9 && n <= 11) || j == k) && numberStart(text, i) {
			return i
		}
		i = j
	}
	return -1
}

// piece reports whether a word can be part of a spaced entity: a group of
// a phone number, card, IBAN or SSN, an extension, a key name, an
// assignment operator or an authorization scheme.
func piece(w []byte) bool {
	if len(w) == 0 {
		return false
	}
	if len(w) <= maxGroupRun {
		group := true
		for _, c := range w {
			group = group && groupByte(c)
		}
		if group {
			return true
		}
	}
	t := bytes.TrimRight(w, ":=>")
	if len(t) == 0 {
		return true
	}
	if len(t) <= maxKey+8 {
		var buf [maxKey + 8]byte
		l := lower(buf[:0], t)
		for _, list := range [...][]string{ssnContext, phoneContext, {"social", "security", "number"}} {
			for _, c := range list {
				if bytes.Contains(l, []byte(c)) {
					return true
				}
			}
		}
	}
	for _, s := range [...]string{"ext", "ext.", "bearer", "basic", "token"} {
		if bytes.EqualFold(t, []byte(s)) {
			return true
		}
	}
	return len(t) <= maxKey && secretName(t)
}
