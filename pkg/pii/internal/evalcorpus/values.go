package main

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
)

const (
	digits   = "0123456789"
	upper    = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower    = "abcdefghijklmnopqrstuvwxyz"
	base62   = digits + upper + lower
	hexLower = "0123456789abcdef"
)

func str(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func oneOf(r *rand.Rand, xs ...string) string { return xs[r.IntN(len(xs))] }

var structuredGens = []gen{
	{"EMAIL_ADDRESS", email}, {"EMAIL_ADDRESS", email},
	{"PHONE_NUMBER", phone}, {"PHONE_NUMBER", phone}, {"PHONE_NUMBER", phone},
	{"CREDIT_CARD", card}, {"CREDIT_CARD", card},
	{"IBAN_CODE", iban}, {"IBAN_CODE", iban},
	{"US_SSN", ssn}, {"US_SSN_PLAIN", ssnPlain},
	{"IP_ADDRESS", ipv4}, {"IP_ADDRESS", ipv6},
	{"MAC_ADDRESS", mac},
}

var (
	firstNames = []string{"anna", "ben", "chloe", "dev", "elif", "farid", "greta", "hugo", "ines", "jonas", "kai", "lea", "maria", "noah", "olga", "pierre", "quinn", "rahul", "sofia", "tomas", "ursula", "vik", "wen", "yusuf", "zoe"}
	lastNames  = []string{"schmidt", "martin", "garcia", "smith", "rossi", "kumar", "nowak", "dubois", "jensen", "silva", "tanaka", "okafor", "murphy", "novak", "weber"}
	domains    = []string{"example.com", "example.org", "example.net", "mail.example.com", "eu.example.org", "example.co.uk", "test.example.de", "example.fr", "corp.example.es", "example.io"}
)

func email(r *rand.Rand) string {
	f, l := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	var local string
	switch r.IntN(6) {
	case 0:
		local = f + "." + l
	case 1:
		local = f + "_" + l + fmt.Sprint(r.IntN(100))
	case 2:
		local = f + "+" + oneOf(r, "news", "billing", "test", "2024")
	case 3:
		local = f[:1] + l
	case 4:
		local = strings.ToUpper(f[:1]) + f[1:] + "." + strings.ToUpper(l[:1]) + l[1:]
	default:
		local = f + "-" + l + "." + oneOf(r, "work", "dev", "ops")
	}
	return local + "@" + domains[r.IntN(len(domains))]
}

// phone draws from fictional ranges: NANP 555-01xx, Ofcom's drama ranges,
// and made-up subscriber numbers elsewhere.
func phone(r *rand.Rand) string {
	d := func(n int) string { return str(r, digits, n) }
	area := fmt.Sprint(2+r.IntN(8)) + fmt.Sprint(r.IntN(10)) + fmt.Sprint(2+r.IntN(8))
	us := "555-01" + d(2)
	switch r.IntN(22) {
	case 0:
		return "(" + area + ") " + us
	case 1:
		return area + "-" + us
	case 2:
		return area + "." + strings.ReplaceAll(us, "-", ".")
	case 3:
		return "+1 " + area + " " + strings.ReplaceAll(us, "-", " ")
	case 4:
		return "+1-" + area + "-" + us
	case 5:
		return "1-800-" + us
	case 6:
		return "(" + area + ")" + us
	case 7:
		return area + "-" + us + "x" + d(3)
	case 8:
		return "+1" + area + "55501" + d(2)
	case 9:
		return "+44 20 7946 0" + d(3)
	case 10:
		return "020 7946 0" + d(3)
	case 11:
		return oneOf(r, "07700 900", "+44 7700 900") + d(3)
	case 12:
		return "+44(0)20 7946 0" + d(3)
	case 13:
		return oneOf(r, "+49 30 ", "030 ", "+49 (0)30 ", "030/") + d(7+r.IntN(2))
	case 14:
		return oneOf(r, "+49 151 ", "0151 ", "0176 ") + d(8)
	case 15:
		return "01 " + d(2) + " " + d(2) + " " + d(2) + " " + d(2)
	case 16:
		return oneOf(r, "+33 6 ", "+33 1 ") + d(2) + " " + d(2) + " " + d(2) + " " + d(2)
	case 17:
		return "06." + d(2) + "." + d(2) + "." + d(2) + "." + d(2)
	case 18:
		return oneOf(r, "+91 9", "+91-9") + d(4) + oneOf(r, " ", "") + d(5)
	case 19:
		return "+34 " + oneOf(r, "6", "9") + d(2) + " " + d(3) + " " + d(3)
	case 20:
		return "+39 06 " + d(4) + " " + d(4)
	default:
		return "001-" + area + "-" + us
	}
}

// testBINs are the issuers' documented test prefixes.
var testBINs = []struct {
	prefix string
	length int
}{{"411111", 16}, {"424242", 16}, {"400005", 16}, {"555555", 16}, {"510510", 16}, {"222300", 16}, {"378282", 15}, {"371449", 15}, {"601111", 16}, {"353011", 16}, {"305693", 14}, {"620000", 16}}

func card(r *rand.Rand) string {
	bin := testBINs[r.IntN(len(testBINs))]
	num := bin.prefix + str(r, digits, bin.length-len(bin.prefix)-1)
	num += digits[luhnDigit(num) : luhnDigit(num)+1]
	sep := oneOf(r, "", " ", "-", " ")
	if sep == "" {
		return num
	}
	var groups []string
	switch bin.length {
	case 15:
		groups = []string{num[:4], num[4:10], num[10:]}
	case 14:
		groups = []string{num[:4], num[4:10], num[10:]}
	default:
		groups = []string{num[:4], num[4:8], num[8:12], num[12:]}
	}
	return strings.Join(groups, sep)
}

func luhnDigit(num string) int {
	sum := 0
	for i := range len(num) {
		v := int(num[len(num)-1-i] - '0')
		if i%2 == 0 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return (10 - sum%10) % 10
}

var ibanCountries = []struct {
	cc   string
	bban string // n: digit, a: upper-case letter, c: either
}{
	{"DE", "nnnnnnnnnnnnnnnnnn"}, {"GB", "aaaannnnnnnnnnnnnn"}, {"FR", "nnnnnnnnnncccccccccccnn"},
	{"ES", "nnnnnnnnnnnnnnnnnnnn"}, {"IT", "annnnnnnnnncccccccccccc"}, {"NL", "aaaannnnnnnnnn"},
	{"BE", "nnnnnnnnnnnn"}, {"CH", "nnnnncccccccccccc"}, {"AT", "nnnnnnnnnnnnnnnn"},
	{"PL", "nnnnnnnnnnnnnnnnnnnnnnnn"}, {"SE", "nnnnnnnnnnnnnnnnnnnn"}, {"IE", "aaaannnnnnnnnnnnnn"},
	{"PT", "nnnnnnnnnnnnnnnnnnnnn"}, {"NO", "nnnnnnnnnnn"}, {"MT", "aaaannnnncccccccccccccccccc"},
}

func iban(r *rand.Rand) string {
	c := ibanCountries[r.IntN(len(ibanCountries))]
	var bban strings.Builder
	for _, k := range c.bban {
		switch k {
		case 'n':
			bban.WriteString(str(r, digits, 1))
		case 'a':
			bban.WriteString(str(r, upper, 1))
		default:
			bban.WriteString(str(r, digits+upper, 1))
		}
	}
	s := c.cc + checkDigits(c.cc, bban.String()) + bban.String()
	if r.IntN(2) == 0 {
		return s
	}
	var g []string
	for i := 0; i < len(s); i += 4 {
		g = append(g, s[i:min(i+4, len(s))])
	}
	return strings.Join(g, " ")
}

func checkDigits(cc, bban string) string {
	var num strings.Builder
	for _, ch := range bban + cc + "00" {
		if ch >= 'A' && ch <= 'Z' {
			fmt.Fprint(&num, int(ch-'A')+10)
		} else {
			num.WriteRune(ch)
		}
	}
	n, _ := new(big.Int).SetString(num.String(), 10)
	mod := new(big.Int).Mod(n, big.NewInt(97)).Int64()
	return fmt.Sprintf("%02d", 98-mod)
}

func ssnDigits(r *rand.Rand) (string, string, string) {
	area := 1 + r.IntN(898)
	if area == 666 {
		area = 667
	}
	return fmt.Sprintf("%03d", area), fmt.Sprintf("%02d", 1+r.IntN(99)), fmt.Sprintf("%04d", 1+r.IntN(9999))
}

func ssn(r *rand.Rand) string {
	a, g, s := ssnDigits(r)
	sep := oneOf(r, "-", "-", "-", " ")
	return a + sep + g + sep + s
}

func ssnPlain(r *rand.Rand) string {
	a, g, s := ssnDigits(r)
	return a + g + s
}

func ipv4(r *rand.Rand) string {
	switch r.IntN(4) {
	case 0:
		return fmt.Sprintf("192.0.2.%d", r.IntN(256))
	case 1:
		return fmt.Sprintf("198.51.100.%d", r.IntN(256))
	case 2:
		return fmt.Sprintf("10.%d.%d.%d", r.IntN(256), r.IntN(256), 1+r.IntN(254))
	default:
		return fmt.Sprintf("203.0.113.%d", r.IntN(256))
	}
}

func ipv6(r *rand.Rand) string {
	h := func() string { return fmt.Sprintf("%x", r.IntN(0x10000)) }
	switch r.IntN(7) {
	case 0:
		return "2001:db8:" + h() + ":" + h() + ":" + h() + ":" + h() + ":" + h() + ":" + h()
	case 1:
		return "2001:db8::" + h()
	case 2:
		return "2001:db8:" + h() + "::" + h() + ":" + h()
	case 3:
		return "fe80::" + h() + ":" + h() + ":" + h() + ":" + h()
	case 4:
		return "::1"
	case 5:
		return fmt.Sprintf("::ffff:192.0.2.%d", r.IntN(256))
	default:
		return "2001:0db8:0000:0000:0000:ff00:0042:" + fmt.Sprintf("%04x", r.IntN(0x10000))
	}
}

func mac(r *rand.Rand) string {
	sep := oneOf(r, ":", "-")
	parts := make([]string, 6)
	for i := range parts {
		parts[i] = str(r, "0123456789ABCDEF", 2)
	}
	if r.IntN(2) == 0 {
		return strings.ToLower(strings.Join(parts, sep))
	}
	return strings.Join(parts, sep)
}
