package pii

// number tries every detector that can start with a digit, cheapest and
// most certain first.
func (sc *scan) number(i int) hit {
	text := sc.text
	if !numberStart(text, i) {
		return hit{}
	}
	h := i
	for h < len(text) && h-i < 5 && is(text[h], cHex) {
		h++
	}
	if c := at(text, h); c == ':' || (c == '-' && h-i == 2) || (c == '.' && h-i == 4) {
		if r := sc.hexStart(i); r.end != 0 {
			return r
		}
	}
	j := i
	for j < len(text) && is(text[j], cDigit) {
		j++
	}
	if at(text, j) == '.' && j-i <= 3 {
		if r := sc.ipv4(i); r.end != 0 {
			return r
		}
	}
	if r := sc.card(i); r.end != 0 {
		return r
	}
	// "#123..." is an order or ticket number, and a group right after
	// another number ("DE00 0551 6268") continues that number.
	if p := at(text, i-1); p == '#' || p == ' ' && is(at(text, i-2), cDigit) {
		return hit{}
	}
	if r := sc.ssn(i, j); r.end != 0 {
		return r
	}
	return sc.phone(i)
}

// numberStart reports whether a number can start at i. A digit right
// after "1." or "12-" continues a longer numeric token (a decimal, a
// version, a date, an order number), not a new entity.
func numberStart(text []byte, i int) bool {
	p := at(text, i-1)
	if is(p, cWord) {
		return false
	}
	if p == ',' {
		// "1,234" is one number; "Lee,415-555-0110" in a CSV row is two fields.
		return !is(at(text, i-2), cDigit)
	}
	return p != '.' && p != '-' && p != '/' && p != ':' || !is(at(text, i-2), cWord)
}

// digitGroups reads up to len(lens) runs of digits separated by one byte
// for which sep reports true. It stops early past maxDigits digits.
type digitGroups struct {
	d    [24]byte
	nd   int
	lens [6]int
	ends [6]int
	seps [6]byte // seps[g] follows group g
	ng   int
}

func (g *digitGroups) read(text []byte, i int, sep func(byte) bool) bool {
	j := i
	for g.ng < len(g.lens) {
		k := j
		for k < len(text) && is(text[k], cDigit) {
			if g.nd == len(g.d) {
				return false
			}
			g.d[g.nd] = text[k]
			g.nd++
			k++
		}
		if k == j {
			break
		}
		g.lens[g.ng], g.ends[g.ng] = k-j, k
		g.ng++
		c := at(text, k)
		if !sep(c) || !is(at(text, k+1), cDigit) || (g.ng > 1 && c != g.seps[0]) {
			break
		}
		g.seps[g.ng-1] = c
		j = k + 1
	}
	return g.ng > 0
}

func (g *digitGroups) digits(groups int) []byte {
	n := 0
	for _, l := range g.lens[:groups] {
		n += l
	}
	return g.d[:n]
}

func cardSep(c byte) bool { return c == ' ' || c == '-' }

// card accepts 13 to 19 digits, plain or in the groupings cards are printed
// with, that pass Luhn and belong to a known issuer range.
func (sc *scan) card(i int) hit {
	var g digitGroups
	if !g.read(sc.text, i, cardSep) {
		return hit{}
	}
	// Grouped cards may run into a following number ("4111 1111 1111 1111
	// 12/27"): try the longest grouping that makes a card.
	for n := g.ng; n >= 1; n-- {
		if n == 1 && g.ng > 1 || n < g.ng && g.seps[n-1] != ' ' {
			continue
		}
		d := g.digits(n)
		if !cardGrouping(g.lens[:n]) || !luhn(d) || !cardIssuer(d) {
			continue
		}
		end := g.ends[n-1]
		if n == g.ng && !numberEnd(sc.text, end) {
			return hit{}
		}
		return hit{t: tCard, start: i, end: end, score: 0.95}
	}
	return hit{}
}

func cardGrouping(lens []int) bool {
	switch len(lens) {
	case 1:
		return lens[0] >= 13 && lens[0] <= 19
	case 3:
		return lens[0] == 4 && lens[1] == 6 && (lens[2] == 5 || lens[2] == 4)
	case 4, 5:
		for _, l := range lens[:3] {
			if l != 4 {
				return false
			}
		}
		return lens[3] == 4 && (len(lens) == 4 || lens[4] >= 1 && lens[4] <= 3)
	}
	return false
}

// numberEnd reports whether a number ending at i ends there: no letter or
// digit follows, nor a separator and a digit that would make it part of a
// longer number, nor an '@' that makes it part of an email.
func numberEnd(text []byte, i int) bool {
	c := at(text, i)
	if is(c, cWord) || c == '@' {
		return false
	}
	if (c == '.' || c == ',' || c == '-' || c == '/') && is(at(text, i+1), cDigit) {
		return false
	}
	// "700-123-4456-A" is an order or part number that goes on.
	if c == '-' && is(at(text, i+1), cWord) {
		return false
	}
	return true
}

var ssnContext = []string{"ssn", "social security", "social sec", "ss#", "ss #", "sozialversicherungs", "taxpayer"}

// ssn accepts AAA-GG-SSSS (dashes or spaces), or nine plain digits after a
// context word, that the SSA could have issued.
func (sc *scan) ssn(i, runEnd int) hit {
	text := sc.text
	var d [9]byte
	end, score := 0, 0.85
	switch runEnd - i {
	case 9:
		if !numberEnd(text, runEnd) || !hasContext(text, i, 24, ssnContext) {
			return hit{}
		}
		copy(d[:], text[i:runEnd])
		end, score = runEnd, 0.7
	case 3:
		sep := at(text, runEnd)
		if sep != '-' && sep != ' ' {
			return hit{}
		}
		if !digitsAt(text, runEnd+1, 2) || at(text, runEnd+3) != sep || !digitsAt(text, runEnd+4, 4) {
			return hit{}
		}
		end = runEnd + 8
		if !numberEnd(text, end) || (sep == ' ' && is(at(text, end+1), cDigit) && at(text, end) == ' ') {
			return hit{}
		}
		copy(d[:3], text[i:runEnd])
		copy(d[3:5], text[runEnd+1:runEnd+3])
		copy(d[5:], text[runEnd+4:end])
	default:
		return hit{}
	}
	if !validSSN(d) {
		return hit{}
	}
	if score < 0.85 || hasContext(text, i, 40, ssnContext) {
		score += 0.1
	}
	return hit{t: tSSN, start: i, end: end, score: min(score, 1)}
}

// digitsAt reports whether text[i:i+n] is n digits followed by a non-digit.
func digitsAt(text []byte, i, n int) bool {
	for k := i; k < i+n; k++ {
		if !is(at(text, k), cDigit) {
			return false
		}
	}
	return !is(at(text, i+n), cDigit)
}

// validSSN applies the SSA's rules: no area 000, 666 or 900-999, no group
// 00, no serial 0000, and none of the numbers known to be invalid because
// they were published (078-05-1120 from a wallet insert, 219-09-9999 from an
// SSA ad, 123-45-6789 used in examples) or made of one repeated digit.
func validSSN(d [9]byte) bool {
	area := int(d[0]-'0')*100 + int(d[1]-'0')*10 + int(d[2]-'0')
	if area == 0 || area == 666 || area >= 900 {
		return false
	}
	if d[3] == '0' && d[4] == '0' {
		return false
	}
	if d[5] == '0' && d[6] == '0' && d[7] == '0' && d[8] == '0' {
		return false
	}
	switch string(d[:]) {
	case "078051120", "219099999", "123456789":
		return false
	}
	same := true
	for _, c := range d[1:] {
		same = same && c == d[0]
	}
	return !same
}
