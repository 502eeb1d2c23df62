package pii

var phoneContext = []string{
	"phone", "tel", "mobile", "cell", "call", "fax", "contact", "whatsapp", "sms",
	"handy", "telefon", "rufnummer", "portable", "numéro", "teléfono", "telefono",
	"móvil", "movil", "cellulare", "tél", "phone:", "ruf",
}

// idContext names the numbers that are grouped like phone numbers but are
// not: a label right before the digits ("Order ref 0123 4567 890") decides,
// unless a phone word is near as well.
var idContext = []string{
	"order", "ref", "invoice", "ticket", "tracking", "serial", "sku", "account", "customer",
	"rechnung", "bestell", "kunden", "commande", "facture", "pedido", "factura", "ordine", "fattura",
}

// phoneParts is a candidate phone number: digit groups, optionally led by
// '+', with at most one parenthesised group, e.g. "+44 (0)20 7946 0958".
type phoneParts struct {
	plus   bool
	d      [17]byte
	nd     int
	ng     int
	lens   [7]int
	ends   [7]int // byte offset after each group (and its ')')
	sepAft [7]byte
	paren  int // index of the parenthesised group, or -1
	trunk  int // index in d of a "(0)" trunk digit to drop, or -1
}

func (p *phoneParts) read(text []byte, i int) bool {
	p.paren, p.trunk = -1, -1
	j := i
	if text[j] == '+' {
		if is(at(text, i-1), cWord) {
			return false
		}
		p.plus = true
		j++
	}
	for p.ng < len(p.lens) {
		inParen := at(text, j) == '('
		if inParen {
			if p.paren >= 0 {
				return p.cut()
			}
			j++
		}
		k := j
		for k < len(text) && is(text[k], cDigit) {
			k++
		}
		// A parenthesised aside after a number ("555-0132 (home)",
		// "(24/7)") ends the number; it does not void it.
		if k == j || inParen && at(text, k) != ')' {
			return p.cut()
		}
		if p.nd+k-j > len(p.d) {
			return false
		}
		p.nd += copy(p.d[p.nd:], text[j:k])
		if inParen {
			p.paren = p.ng
		}
		p.lens[p.ng] = k - j
		if inParen {
			if k-j == 1 && text[j] == '0' && p.ng > 0 {
				p.trunk = p.nd - 1
			}
			k++
		}
		p.ends[p.ng] = k
		p.ng++
		j = k
		c, next := at(text, j), at(text, j+1)
		switch {
		case inParen && is(c, cDigit), c == '(' && p.paren < 0:
			continue
		case (c == ' ' || c == '-' || c == '.' || c == '/') && (is(next, cDigit) || next == '(' && c == ' ' && p.paren < 0):
			p.sepAft[p.ng-1] = c
			j++
			continue
		case c == ' ' && next == '/' && at(text, j+2) == ' ' && is(at(text, j+3), cDigit):
			// The older German style, "0221 / 12345678".
			p.sepAft[p.ng-1] = '/'
			j += 3
			continue
		}
		break
	}
	return p.ng > 0
}

// cut ends the candidate after the groups read so far, dropping the
// separator that led to a group that turned out not to be one.
func (p *phoneParts) cut() bool {
	if p.ng > 0 {
		p.sepAft[p.ng-1] = 0
	}
	return p.ng > 0
}

// phone reads a candidate starting at i ('+', '(' or a digit) and accepts
// the longest prefix of its groups that forms an international number with
// a real country code, a North American number, or a national number with
// a trunk '0' (UK, DE, FR, IN, ...).
func (sc *scan) phone(i int) hit {
	text := sc.text
	if text[i] == '(' && is(at(text, i-1), cWord) {
		return hit{}
	}
	var p phoneParts
	if !p.read(text, i) {
		return hit{}
	}
	for n := p.ng; n >= 2 || n == p.ng; n-- {
		if n < p.ng && p.sepAft[n-1] != ' ' {
			continue
		}
		end := extension(text, p.ends[n-1])
		if n == p.ng && !numberEnd(text, end) {
			return hit{}
		}
		score := p.valid(n)
		if score == 0 {
			// An unformatted number, or a grouping that is as often
			// something else, is a phone number only after a context
			// word; check the digits first, context costs more.
			if n == 1 {
				score = p.plain()
			} else {
				score = p.nineDigit(n)
			}
			if score != 0 && !hasContext(text, i, 32, phoneContext) {
				score = 0
			}
		}
		if score == 0 {
			continue
		}
		if hasContext(text, i, 32, phoneContext) {
			score = min(score+0.15, 1)
		} else if hasContext(text, i, 16, idContext) {
			return hit{}
		}
		return hit{t: tPhone, start: i, end: end, score: score}
	}
	return hit{}
}

// extension takes in "x123", " x123", "ext. 123" after a number.
func extension(text []byte, end int) int {
	j := end
	if at(text, j) == ' ' {
		j++
	}
	switch {
	case at(text, j) == 'x':
		j++
	case at(text, j) == 'e' && at(text, j+1) == 'x' && at(text, j+2) == 't':
		j += 3
		if at(text, j) == '.' {
			j++
		}
		if at(text, j) == ' ' {
			j++
		}
	default:
		return end
	}
	k := j
	for k < len(text) && k-j < 6 && is(text[k], cDigit) {
		k++
	}
	if k == j || k-j > 5 {
		return end
	}
	return k
}

// national returns the digits of the first n groups, without a "(0)" trunk
// digit, and whether they were dialled internationally ('+' or "00").
func (p *phoneParts) national(n int, buf *[17]byte) ([]byte, bool) {
	m := 0
	total := 0
	for _, l := range p.lens[:n] {
		total += l
	}
	for k := range total {
		if k != p.trunk {
			buf[m] = p.d[k]
			m++
		}
	}
	d := buf[:m]
	if p.plus {
		return d, true
	}
	if len(d) > 4 && d[0] == '0' && d[1] == '0' && d[2] != '0' && p.lens[0] >= 2 {
		return d[2:], true
	}
	return d, false
}

// valid scores the first n groups as a formatted phone number, or 0.
func (p *phoneParts) valid(n int) float64 {
	var buf [17]byte
	d, intl := p.national(n, &buf)
	// Part and order numbers end in a short group ("0475-3895-98",
	// "0084-7351-48"); a number written with '+' is not one, however it
	// is grouped ("+41 44 668 18 00").
	if !p.plus && shortTail(p.lens[:n]) {
		return 0
	}
	if intl {
		cc := countryCode(d)
		nat := len(d) - cc
		switch {
		case cc == 0 || len(d) > 15:
			return 0
		case cc == 1:
			if nat != 10 {
				return 0
			}
		case nat < 6 || nat > 13:
			return 0
		}
		if n == 1 && !p.plus {
			return 0
		}
		return 0.8
	}
	if n < 2 || len(d) < 7 {
		return 0
	}
	lens := p.lens[:n]
	switch {
	case len(d) == 11 && d[0] == '1' && lens[0] == 1 && nanpGroups(lens[1:], p.paren-1):
		return nanpScore(d[1:])
	case len(d) == 10 && nanpGroups(lens, p.paren):
		// Written as (AAA) EEE-NNNN or AAA-EEE-NNNN, ten digits are a
		// phone number even when the area code or exchange is not one
		// North America assigns: generated and fictional numbers often
		// are not, and nothing else is written that way.
		return nanpScore(d)
	case d[0] == '0' && d[1] != '0' && len(d) >= 9 && len(d) <= 12 && lens[0] >= 2 && !dateShape(d, lens) && !ssnShape(lens) && !pairsOnly(lens):
		return 0.65
	case len(d) == 10 && d[0] == '0' && d[1] != '0' && pairsOnly(lens) && n == 5 && (p.ng == 5 || p.lens[5] != 2):
		return 0.65 // French, "01 23 45 67 89": five pairs, never more
	case len(d) == 10 && d[0] >= '6' && lens[0] == 5 && lens[1] == 5 && n == 2:
		return 0.6 // Indian mobile, "98765 43210"
	case p.paren == 0 && lens[0] == 2 && d[0] != '0' && n == 3 && (lens[1] == 4 || lens[1] == 5) && lens[2] == 4:
		return 0.6 // Brazilian, "(11) 91234-5678": area code in parentheses
	}
	return 0
}

// nineDigit scores the first n groups as a number of a plan without a
// trunk prefix that dials nine digits from 6-9 (Spain, Portugal, mobiles
// in Italy and elsewhere), grouped 3-3-3 or 3-2-2-2. Such groupings are
// also quantities and ids, so they count only after a context word.
func (p *phoneParts) nineDigit(n int) float64 {
	lens := p.lens[:n]
	if p.plus || p.paren >= 0 || p.d[0] < '6' || lens[0] != 3 {
		return 0
	}
	switch {
	case n == 3 && lens[1] == 3 && lens[2] == 3, n == 4 && lens[1] == 2 && lens[2] == 2 && lens[3] == 2:
		return 0.5
	}
	return 0
}

// pairsOnly reports a grouping in pairs throughout, the French way.
func pairsOnly(lens []int) bool {
	for _, l := range lens {
		if l != 2 {
			return false
		}
	}
	return true
}

// plain scores an unformatted digit run, accepted only after a context word.
func (p *phoneParts) plain() float64 {
	d := p.d[:p.nd]
	switch {
	case p.plus || p.paren >= 0:
		return 0
	case len(d) == 10 && nanp(d):
		return 0.5
	case len(d) == 11 && d[0] == '1' && nanp(d[1:]):
		return 0.5
	case len(d) >= 10 && len(d) <= 11 && d[0] == '0' && d[1] != '0':
		return 0.5
	case len(d) == 10 && d[0] >= '6':
		return 0.45
	case len(d) == 9 && d[0] >= '6':
		return 0.45 // Spain, Portugal: nine digits, no trunk prefix
	}
	return 0
}

// nanp reports whether 10 digits are a North American number: area code
// and exchange start with 2-9, and the area code is not an N11 service code.
func nanp(d []byte) bool {
	return len(d) == 10 && d[0] >= '2' && d[3] >= '2' && (d[1] != '1' || d[2] != '1')
}

func nanpScore(d []byte) float64 {
	if nanp(d) {
		return 0.75
	}
	return 0.6
}

func nanpGroups(lens []int, paren int) bool {
	switch len(lens) {
	case 3:
		return lens[0] == 3 && lens[1] == 3 && lens[2] == 4 && paren <= 0
	case 2:
		return paren == 0 && lens[0] == 3 && (lens[1] == 7)
	}
	return false
}

// dateShape rejects "01.12.2023 14" style numbers: day, month and a year.
func dateShape(d []byte, lens []int) bool {
	if len(lens) < 3 || lens[0] > 2 || lens[1] > 2 || lens[2] != 4 {
		return false
	}
	y := d[lens[0]+lens[1]]
	return y == '1' || y == '2'
}

// ssnShape is the AAA-GG-SSSS grouping, which is never a phone number.
func ssnShape(lens []int) bool {
	return len(lens) == 3 && lens[0] == 3 && lens[1] == 2 && lens[2] == 4
}

// shortTail rejects "0475-3895-98": a last group of one or two digits
// after longer groups is how part and order numbers end, not phone numbers
// (French numbers, in pairs throughout, pass).
func shortTail(lens []int) bool {
	n := len(lens)
	if n < 3 || lens[n-1] > 2 {
		return false
	}
	for _, l := range lens[1 : n-1] {
		if l > 2 {
			return true
		}
	}
	return false
}
