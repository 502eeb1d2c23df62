package pii

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/identity/apikey"
)

// span is a finding as the tests write it: type and text.
type found struct{ Type, Text string }

func scanTexts(s *Scanner, text string) []found {
	var out []found
	for _, f := range s.Scan(nil, []byte(text)) {
		out = append(out, found{f.Type, text[f.Start:f.End]})
	}
	return out
}

func TestDetectors(t *testing.T) {
	s := mustNew(t, Config{})
	sluiceKey, _, err := apikey.Generate()
	if err != nil {
		t.Fatal(err)
	}
	badSluice := sluiceKey[:len(sluiceKey)-1] + string("01"[bytes.IndexByte([]byte("0"), sluiceKey[len(sluiceKey)-1])+1])
	for _, tc := range []struct {
		name, text string
		want       []found
	}{
		{"email plus tag and subdomain", "write to Jane.Doe+billing@mail.eu.example.com.", []found{{TypeEmail, "Jane.Doe+billing@mail.eu.example.com"}}},
		{"email in angle brackets", "<ops@example.org>", []found{{TypeEmail, "ops@example.org"}}},
		{"email needs a dotted domain", "user@localhost and @handle", nil},
		{"email local part rules", ".a@example.com a..b@example.com", nil},
		{"us formats", "(415) 555-0132, 415-555-0132, 415.555.0132, +1 415 555 0132, 1-800-555-0199",
			[]found{{TypePhone, "(415) 555-0132"}, {TypePhone, "415-555-0132"}, {TypePhone, "415.555.0132"}, {TypePhone, "+1 415 555 0132"}, {TypePhone, "1-800-555-0199"}}},
		{"us extension and 001", "415-555-0132x123; 001-415-555-0132", []found{{TypePhone, "415-555-0132x123"}, {TypePhone, "001-415-555-0132"}}},
		{"generated-data formats", "(123)456-7890x123, 123-456-7890, +1-034-567-8901x4567, +49(0)9119 84712, (01632) 960 123",
			[]found{{TypePhone, "(123)456-7890x123"}, {TypePhone, "123-456-7890"}, {TypePhone, "+1-034-567-8901x4567"}, {TypePhone, "+49(0)9119 84712"}, {TypePhone, "(01632) 960 123"}}},
		{"more countries", "+353 1 234 5678 / +61 2 9876 5432 / +81 3-1234-5678 / +86 138 0013 8000",
			[]found{{TypePhone, "+353 1 234 5678"}, {TypePhone, "+61 2 9876 5432"}, {TypePhone, "+81 3-1234-5678"}, {TypePhone, "+86 138 0013 8000"}}},
		{"e164", "+14155550132 and +442079460958", []found{{TypePhone, "+14155550132"}, {TypePhone, "+442079460958"}}},
		{"uk", "020 7946 0958 or +44 (0)20 7946 0958 or 07700 900123", []found{{TypePhone, "020 7946 0958"}, {TypePhone, "+44 (0)20 7946 0958"}, {TypePhone, "07700 900123"}}},
		{"de", "030 12345678, +49 30 1234567, 0151 23456789, 030/1234567", []found{{TypePhone, "030 12345678"}, {TypePhone, "+49 30 1234567"}, {TypePhone, "0151 23456789"}, {TypePhone, "030/1234567"}}},
		{"fr", "01 23 45 67 89 ou +33 6 12 34 56 78", []found{{TypePhone, "01 23 45 67 89"}, {TypePhone, "+33 6 12 34 56 78"}}},
		{"in", "+91 98765 43210 or 98765 43210", []found{{TypePhone, "+91 98765 43210"}, {TypePhone, "98765 43210"}}},
		{"plain digits need context", "order 4155550132; call 4155550132", []found{{TypePhone, "4155550132"}}},
		{"phone look-alikes", "2023-11-15 12:30:45, v1.2.3, 555-0132, ISBN 978-3-16-148410-0, 0-306-40615-2, +5 pts, 1700000000", nil},
		{"unknown country code", "+999 123 456 789", nil},
		{"aside after a number", "415.555.0132 (home), +1-415-555-0155 (24/7)", []found{{TypePhone, "415.555.0132"}, {TypePhone, "+1-415-555-0155"}}},
		{"csv field after a word", "Ann Lee,415-555-0110,Luc,01 23 45 67 89", []found{{TypePhone, "415-555-0110"}, {TypePhone, "01 23 45 67 89"}}},
		{"international in pairs", "+41 44 668 18 00, +32 470 12 34 56, +7 495 123-45-67", []found{{TypePhone, "+41 44 668 18 00"}, {TypePhone, "+32 470 12 34 56"}, {TypePhone, "+7 495 123-45-67"}}},
		{"nine digits need context", "612 345 678 units, 612345678 items; teléfono 912 34 56 78, móvil 612345678", []found{{TypePhone, "912 34 56 78"}, {TypePhone, "612345678"}}},
		{"br and old de formats", "(11) 91234-5678, 0221 / 12345678", []found{{TypePhone, "(11) 91234-5678"}, {TypePhone, "0221 / 12345678"}}},
		{"ids grouped like phones", "04 11 23 35 42 49; order 700-123-4456-A; Order ref 0123 4567 890", nil},
		{"ipv6 zone", "fe80::1%eth0 and fe80::1ff:fe23:4567:890a%en0", []found{{TypeIP, "fe80::1%eth0"}, {TypeIP, "fe80::1ff:fe23:4567:890a%en0"}}},
		{"four-part versions", "Patch 14.2.0.1, firmware 1.2.3.4, host 1.2.3.4", []found{{TypeIP, "1.2.3.4"}}},
		{"cisco mac", "0050.56c0.0001, 001a.2b3c.4d5e; serial 1234.5678.9012", []found{{TypeMAC, "0050.56c0.0001"}, {TypeMAC, "001a.2b3c.4d5e"}}},
		{"ssh remote is not an email", "git clone git@github.com:example/repo.git; mail git@github.com: now", []found{{TypeEmail, "git@github.com"}}},
		{"cards", "4111 1111 1111 1111, 5555-5555-5555-4444, 378282246310005, 3056 930902 5904",
			[]found{{TypeCreditCard, "4111 1111 1111 1111"}, {TypeCreditCard, "5555-5555-5555-4444"}, {TypeCreditCard, "378282246310005"}, {TypeCreditCard, "3056 930902 5904"}}},
		{"card then expiry", "4111 1111 1111 1111 12/27", []found{{TypeCreditCard, "4111 1111 1111 1111"}}},
		{"bad luhn and unknown issuer", "4111 1111 1111 1112, 1234 5678 9012 3452, 41111111111111111111", nil},
		{"iban", "DE89 3704 0044 0532 0130 00 / GB82WEST12345698765432 / FR14 2004 1010 0505 0001 3M02 606",
			[]found{{TypeIBAN, "DE89 3704 0044 0532 0130 00"}, {TypeIBAN, "GB82WEST12345698765432"}, {TypeIBAN, "FR14 2004 1010 0505 0001 3M02 606"}}},
		{"iban bad check digits or length", "DE88 3704 0044 0532 0130 00, DE89370400440532013, XX89370400440532013000", nil},
		{"ssn", "536-22-1234 or 536 22 1234; SSN: 536221234", []found{{TypeSSN, "536-22-1234"}, {TypeSSN, "536 22 1234"}, {TypeSSN, "536221234"}}},
		{"invalid ssn", "000-12-3456 666-12-3456 912-34-5678 536-00-1234 536-22-0000 078-05-1120 219-09-9999 123-45-6789 111-11-1111 536221234", nil},
		{"ipv4", "10.0.0.1, 192.168.1.254:8080, http://203.0.113.9/x", []found{{TypeIP, "10.0.0.1"}, {TypeIP, "192.168.1.254"}, {TypeIP, "203.0.113.9"}}},
		{"ipv4 look-alikes", "999.1.1.1, 1.2.3.4.5, 3.14159, 1.3.6.1.4.1", nil},
		{"ipv6", "2001:DB8::1 2001:db8::8a2e:370:7334 ::1 fe80::1 ::ffff:192.0.2.1 2001:0db8:0000:0000:0000:ff00:0042:8329",
			[]found{{TypeIP, "2001:DB8::1"}, {TypeIP, "2001:db8::8a2e:370:7334"}, {TypeIP, "::1"}, {TypeIP, "fe80::1"}, {TypeIP, "::ffff:192.0.2.1"}, {TypeIP, "2001:0db8:0000:0000:0000:ff00:0042:8329"}}},
		{"ipv6 look-alikes", "std::vector, 12:30:45, a::b::c, dead:beef", nil},
		{"mac", "00:1A:2B:3C:4D:5E and 00-1a-2b-3c-4d-5e", []found{{TypeMAC, "00:1A:2B:3C:4D:5E"}, {TypeMAC, "00-1a-2b-3c-4d-5e"}}},
		{"aws", "AKIAIOSFODNN7EXAMPLE", []found{{TypeAWSAccessKey, "AKIAIOSFODNN7EXAMPLE"}}},
		{"aws secret", "aws_secret_access_key = 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", []found{{TypeAWSSecretKey, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8m2Vp4Kd"}}},
		{"github", "ghp_" + strings.Repeat("aB3", 12) + " github_pat_" + strings.Repeat("x1Y", 27), []found{{TypeGitHub, "ghp_" + strings.Repeat("aB3", 12)}, {TypeGitHub, "github_pat_" + strings.Repeat("x1Y", 27)}}},
		{"gitlab", "glpat-abcdefghij0123456789", []found{{TypeGitLab, "glpat-abcdefghij0123456789"}}},
		{"slack", "xoxb-123456789012-abcdefABCDEF https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
			[]found{{TypeSlack, "xoxb-123456789012-abcdefABCDEF"}, {TypeSlackWebhook, "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"}}},
		{"openai and anthropic", "sk-proj-abc123def456ghi789jkl012 sk-ant-api03-" + strings.Repeat("Ab9_", 10),
			[]found{{TypeOpenAI, "sk-proj-abc123def456ghi789jkl012"}, {TypeAnthropic, "sk-ant-api03-" + strings.Repeat("Ab9_", 10)}}},
		{"sk words", "sk-learn and scikit-learn", nil},
		{"google and stripe", "AIza" + strings.Repeat("Sy9_", 8) + "abc sk_live_" + strings.Repeat("Zz1", 8),
			[]found{{TypeGoogle, "AIza" + strings.Repeat("Sy9_", 8) + "abc"}, {TypeStripe, "sk_live_" + strings.Repeat("Zz1", 8)}}},
		{"sluice key", "key " + sluiceKey + " and a typo " + badSluice, []found{{TypeSluice, sluiceKey}}},
		{"jwt", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", []found{{TypeJWT, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"}}},
		{"jwt needs alg", "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln", nil},
		{"pem", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----", []found{{TypePrivateKey, "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----"}}},
		{"pem without end", "-----BEGIN PRIVATE KEY-----\nMHcCAQEE\nAbc== then", []found{{TypePrivateKey, "-----BEGIN PRIVATE KEY-----\nMHcCAQEE\nAbc=="}}},
		{"certificates are public", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", nil},
		{"secrets by name", `password=S3cr3tP4ss!word {"api_key": "9f8e7d6c5b4a39281706abcd"} DB_PASSWORD: 'Xk9#mQ2$vL7p'`,
			[]found{{TypeSecret, "S3cr3tP4ss!word"}, {TypeSecret, "9f8e7d6c5b4a39281706abcd"}, {TypeSecret, "Xk9#mQ2$vL7p"}}},
		{"not secrets", `password: hunter2, password=********, token=${TOKEN}, api_key: <your-api-key>, max_tokens=1024, tokenizer: cl100k_base`, nil},
		{"bearer scheme", "Authorization: Bearer Zm9vYmFyYmF6cXV4MTIz", []found{{TypeSecret, "Zm9vYmFyYmF6cXV4MTIz"}}},
		{"known token wins over secret", "GITHUB_TOKEN=ghp_" + strings.Repeat("aB3", 12), []found{{TypeGitHub, "ghp_" + strings.Repeat("aB3", 12)}}},
		{"hashes and uuids", "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 uuid 123e4567-e89b-12d3-a456-426614174000", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, scanTexts(s, tc.text)); diff != "" {
				t.Errorf("Scan(%q) (-want +got):\n%s", tc.text, diff)
			}
		})
	}
}

func TestTypesFilter(t *testing.T) {
	s := mustNew(t, Config{Types: []string{TypeEmail}})
	got := scanTexts(s, "a@example.com 4111 1111 1111 1111")
	if diff := cmp.Diff([]found{{TypeEmail, "a@example.com"}}, got); diff != "" {
		t.Error(diff)
	}
	if !s.Detects(TypeEmail) || s.Detects(TypeCreditCard) {
		t.Error("Detects disagrees with Types")
	}
}

func TestCustomDetectors(t *testing.T) {
	s := mustNew(t, Config{Custom: []CustomDetector{
		{Type: "EMPLOYEE_ID", Patterns: []string{`\bE\d{6}\b`}, ContextWords: []string{"employee"}},
		{Type: "PROJECT", Phrases: []string{"Project Falcon", "blue harbor"}, CaseInsensitive: true, Score: 0.7},
		{Type: "LOYALTY_CARD", Patterns: []string{`\b\d{4} \d{4} \d{4}\b`}, Validator: "luhn"},
		{Type: "ACCOUNT", Patterns: []string{`\bGB\d{2}[A-Z0-9]{18}\b`}, Validator: "mod97"},
	}})
	fs := s.Scan(nil, []byte("employee E123456; PROJECT FALCON and blue harbors, and later E654321; 4111 1111 1117 vs 4111 1111 1112; GB82WEST12345698765432"))
	var got []string
	for _, f := range fs {
		got = append(got, fmt.Sprintf("%s %.2f", f.Type, f.Score))
	}
	want := []string{"EMPLOYEE_ID 0.85", "PROJECT 0.70", "EMPLOYEE_ID 0.60", "LOYALTY_CARD 0.60", "IBAN_CODE 0.95"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("custom findings (-want +got):\n%s", diff)
	}
}

func TestNewRejects(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Types: []string{"EMAIL"}}, `pii: types[0]: unknown type "EMAIL"`},
		{Config{Custom: []CustomDetector{{Type: "x", Phrases: []string{"a"}}}}, `pii: custom[0]: type "x": want upper-case letters, digits and '_'`},
		{Config{Custom: []CustomDetector{{Type: "X"}}}, `pii: custom[0]: needs patterns or phrases`},
		{Config{Custom: []CustomDetector{{Type: "X", Patterns: []string{"("}}}}, "pii: custom[0]: patterns[0]: error parsing regexp: missing closing ): `(`"},
		{Config{Custom: []CustomDetector{{Type: "X", Phrases: []string{"a"}, Validator: "crc"}}}, `pii: custom[0]: validator "crc": want "", "luhn" or "mod97"`},
		{Config{Custom: []CustomDetector{{Type: "X", Phrases: []string{"a"}, Score: 2}}}, `pii: custom[0]: score 2: want a value in [0, 1]`},
		{Config{Custom: []CustomDetector{{Type: TypeEmail, Phrases: []string{"a"}}}}, `pii: custom[0]: type "EMAIL_ADDRESS" is a built-in type`},
		{Config{Custom: []CustomDetector{{Type: "X", Phrases: []string{" "}}}}, `pii: custom[0]: phrases[0]: empty phrase`},
	} {
		_, err := New(tc.cfg)
		if err == nil || err.Error() != tc.want {
			t.Errorf("New(%+v) error = %v, want %s", tc.cfg, err, tc.want)
		}
	}
}

func TestRuneOffsets(t *testing.T) {
	text := []byte("Grüße an zoe@example.com — 🙂 +44 20 7946 0958")
	s := mustNew(t, Config{})
	fs := s.Scan(nil, text)
	RuneOffsets(text, fs)
	runes := []rune(string(text))
	var got []string
	for _, f := range fs {
		got = append(got, string(runes[f.Start:f.End]))
	}
	if diff := cmp.Diff([]string{"zoe@example.com", "+44 20 7946 0958"}, got); diff != "" {
		t.Errorf("RuneOffsets (-want +got):\n%s", diff)
	}
}

func TestBuiltinTypes(t *testing.T) {
	types := BuiltinTypes()
	if len(types) != int(numTypes) || types[0] != TypeEmail {
		t.Fatalf("BuiltinTypes() = %v", types)
	}
	types[0] = "changed"
	if BuiltinTypes()[0] != TypeEmail {
		t.Error("BuiltinTypes returns shared state")
	}
}

// TestAdversarialInputs feeds inputs built to make a careless scanner
// quadratic or make it panic; each must finish in about linear time.
func TestAdversarialInputs(t *testing.T) {
	s := mustNew(t, Config{Custom: []CustomDetector{{Type: "WORD", Phrases: []string{"a", "aa", "a@a"}}}})
	const size = 512 << 10 / raceScale
	for _, unit := range []string{"1", "@", "a@a", "a@", "@a.", "1 ", "1-", "+1 ", "(1) ", ":", "::1:", "a:", "=", "password=", "-", "-----BEGIN PRIVATE KEY-----", "eyJ.", "\xff", "4111 ", "DE89 ", "sk-", "A"} {
		text := bytes.Repeat([]byte(unit), size/len(unit))
		start := time.Now()
		s.Scan(nil, text)
		s.Hold(text)
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("%q x %d: %v", unit, size/len(unit), d)
		}
	}
}
