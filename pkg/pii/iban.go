package pii

// ibanLen is the IBAN length of each country in the SWIFT IBAN registry,
// indexed by the two letters of the country code.
var ibanLen = func() (m [26][26]uint8) {
	for _, e := range []string{
		"AD24", "AE23", "AL28", "AT20", "AZ28", "BA20", "BE16", "BG22", "BH22", "BI27", "BR29",
		"BY28", "CH21", "CR22", "CY28", "CZ24", "DE22", "DJ27", "DK18", "DO28", "EE20", "EG29",
		"ES24", "FI18", "FK18", "FO18", "FR27", "GB22", "GE22", "GI23", "GL18", "GR27", "GT28",
		"HN28", "HR21", "HU28", "IE22", "IL23", "IQ23", "IS26", "IT27", "JO30", "KW30", "KZ20",
		"LB28", "LC32", "LI21", "LT20", "LU20", "LV21", "LY25", "MC27", "MD24", "ME22", "MK19",
		"MN20", "MR27", "MT31", "MU30", "NI28", "NL18", "NO15", "OM23", "PK24", "PL28", "PS29",
		"PT25", "QA29", "RO24", "RS22", "RU33", "SA24", "SC31", "SD18", "SE24", "SI19", "SK24",
		"SM27", "SO23", "ST25", "SV28", "TL23", "TN24", "TR26", "UA29", "VA22", "VG24", "XK20",
		"YE30",
	} {
		m[e[0]-'A'][e[1]-'A'] = (e[2]-'0')*10 + e[3] - '0'
	}
	return m
}()

const maxIBAN = 34

// iban accepts a country code, two check digits and the country's BBAN
// length of upper-case letters and digits, written solid or in groups of
// four separated by single spaces, whose mod-97 check is 1.
func (sc *scan) iban(i int) hit {
	text := sc.text
	c0, c1 := at(text, i), at(text, i+1)
	if !is(c1, cUpper) || !is(at(text, i+2), cDigit) || !is(at(text, i+3), cDigit) {
		return hit{}
	}
	want := int(ibanLen[c0-'A'][c1-'A'])
	if want == 0 {
		return hit{}
	}
	var buf [maxIBAN]byte
	n, j := 0, i
	for n < want {
		c := at(text, j)
		switch {
		case is(c, cDigit|cUpper):
			buf[n] = c
			n++
			j++
		case c == ' ' && n%4 == 0 && n > 0 && is(at(text, j+1), cDigit|cUpper):
			j++
		default:
			return hit{}
		}
	}
	if is(at(text, j), cWord) {
		return hit{}
	}
	if !mod97(buf[:n]) {
		return hit{}
	}
	return hit{t: tIBAN, start: i, end: j, score: 0.95}
}
