package apikey

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
)

func TestGenerateParse(t *testing.T) {
	scanner := regexp.MustCompile(Pattern)
	seen := map[string]bool{}
	for range 200 {
		key, id, err := Generate()
		if err != nil {
			t.Fatal(err)
		}
		if len(key) != KeyLen || !strings.HasPrefix(key, Prefix) || !ValidID(id) {
			t.Fatalf("Generate = %q, %q", key, id)
		}
		if got, ok := Parse(key); !ok || got != id {
			t.Fatalf("Parse(%q) = %q, %v; want %q", key, got, ok, id)
		}
		if scanner.FindString("token="+key+"\n") != key {
			t.Fatalf("Pattern does not find %q", key)
		}
		if seen[key] {
			t.Fatalf("Generate repeated %q", key)
		}
		seen[key] = true
	}
}

// TestEveryTypoIsCaught changes each character of a key to every other
// base62 character: CRC32 catches any single-character change.
func TestEveryTypoIsCaught(t *testing.T) {
	key, _, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	for i := len(Prefix); i < len(key); i++ {
		for j := range len(alphabet) {
			c := alphabet[j]
			if c == key[i] {
				continue
			}
			typo := key[:i] + string(c) + key[i+1:]
			if _, ok := Parse(typo); ok {
				t.Fatalf("Parse accepted %q (position %d changed)", typo, i)
			}
		}
	}
}

func TestParseRejects(t *testing.T) {
	key, _, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{
		"empty":             "",
		"openai key":        "sk-proj-" + strings.Repeat("a", 49),
		"other prefix":      "sk-sluicf-" + key[len(Prefix):],
		"missing separator": key[:len(Prefix)+IDLen] + "-" + key[len(Prefix)+IDLen+1:],
		"too short":         key[:KeyLen-1],
		"too long":          key + "0",
		"non-base62":        key[:len(Prefix)+2] + "+" + key[len(Prefix)+3:],
		"swapped halves":    Prefix + key[len(Prefix)+IDLen+1:len(Prefix)+2*IDLen+1] + "_" + key[len(Prefix):len(Prefix)+IDLen] + key[len(Prefix)+2*IDLen+1:],
		"upper-cased":       strings.ToUpper(key),
		"surrounding space": " " + key[1:],
	} {
		if _, ok := Parse(s); ok {
			t.Errorf("%s: Parse(%q) accepted", name, s)
		}
	}
}

func TestChecksumPadding(t *testing.T) {
	// A CRC of 0 and of 2^32-1 both fit six digits.
	if got := encode(0); got != "000000" {
		t.Errorf("checksum of 0 = %q", got)
	}
	if got := encode(^uint32(0)); got != "4gfFC3" {
		t.Errorf("checksum of 2^32-1 = %q", got)
	}
}

func encode(c uint32) string {
	var out [ChecksumLen]byte
	for i := ChecksumLen - 1; i >= 0; i-- {
		out[i] = alphabet[c%62]
		c /= 62
	}
	return string(out[:])
}

func TestUniformAlphabet(t *testing.T) {
	// Fed every byte value in turn, the accepted bytes (below 248) map to
	// each character exactly four times per round.
	got, err := randomBase62(&cycle{}, 248*4)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[rune]int{}
	for _, r := range got {
		counts[r]++
	}
	for _, r := range alphabet {
		if counts[r] != 16 {
			t.Errorf("character %q drawn %d times, want 16", r, counts[r])
		}
	}
	// Bytes at or above 248 are redrawn, never folded onto low characters.
	high := bytes.NewReader(append(bytes.Repeat([]byte{255}, 5), bytes.Repeat([]byte{5}, 5)...))
	if got, err := randomBase62(high, 1); err != nil || got != "5" {
		t.Errorf("randomBase62 after rejected bytes = %q, %v; want \"5\"", got, err)
	}
}

// cycle reads 0, 1, ..., 255, 0, 1, ... forever.
type cycle struct{ next byte }

func (c *cycle) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = c.next
		c.next++
	}
	return len(p), nil
}

func TestRandomFailure(t *testing.T) {
	boom := errors.New("no entropy")
	if _, _, err := generate(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("generate = %v, want %v", err, boom)
	}
	key, _, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hash(iotest.ErrReader(boom), key); !errors.Is(err, boom) {
		t.Errorf("hash = %v, want %v", err, boom)
	}
}

func TestHashVerify(t *testing.T) {
	key, _, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	h1, err := Hash(key)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := Hash(key)
	if err != nil {
		t.Fatal(err)
	}
	if h1 == h2 {
		t.Error("two hashes of one key are equal: the salt is not random")
	}
	if !regexp.MustCompile(`^sha256:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]{43}$`).MatchString(h1) {
		t.Errorf("Hash = %q", h1)
	}
	if !Verify(key, h1) || !Verify(key, h2) {
		t.Error("Verify rejects the key its hash was made from")
	}
	if Verify(other, h1) || Verify(key[:KeyLen-1], h1) || Verify("", h1) {
		t.Error("Verify accepts another key")
	}
	if _, err := Hash("sk-proj-abc"); !errors.Is(err, ErrMalformed) {
		t.Errorf("Hash of a non-Sluice key = %v, want ErrMalformed", err)
	}
	d, err := ParseDigest(h1)
	if err != nil || d.String() != h1 {
		t.Errorf("ParseDigest round trip = %q, %v", d.String(), err)
	}
	if (Digest{}).Matches(key) {
		t.Error("the zero Digest matches a key")
	}
}

func TestParseDigestRejects(t *testing.T) {
	key, _, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	good, err := Hash(key)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ":")
	for name, s := range map[string]string{
		"empty":          "",
		"other scheme":   "sha512:" + parts[1] + ":" + parts[2],
		"no digest":      "sha256:" + parts[1],
		"padded base64":  "sha256:" + parts[1] + "==:" + parts[2],
		"short salt":     "sha256:" + parts[1][:11] + ":" + parts[2],
		"short digest":   "sha256:" + parts[1] + ":" + parts[2][:40],
		"std base64":     "sha256:" + strings.ReplaceAll(parts[1], "_", "/") + "/:" + parts[2],
		"extra part":     good + ":x",
		"the key itself": key,
	} {
		if _, err := ParseDigest(s); !errors.Is(err, ErrBadHash) {
			t.Errorf("%s: ParseDigest(%q) = %v, want ErrBadHash", name, s, err)
		}
		if Verify(key, s) {
			t.Errorf("%s: Verify accepted %q", name, s)
		}
	}
}

// FuzzParse checks the parser never panics, and that anything it accepts
// is exactly a key's shape and hashes and verifies. Seeds are in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	key, _, err := Generate()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(key)
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := Parse(s)
		if !ok {
			if id != "" {
				t.Fatalf("Parse(%q) returned id %q with ok=false", s, id)
			}
			return
		}
		if len(s) != KeyLen || !strings.HasPrefix(s, Prefix) || !ValidID(id) || s[len(Prefix):len(Prefix)+IDLen] != id {
			t.Fatalf("Parse(%q) accepted a malformed key (id %q)", s, id)
		}
		if checksum(s[:KeyLen-ChecksumLen]) != s[KeyLen-ChecksumLen:] {
			t.Fatalf("Parse(%q) accepted a bad checksum", s)
		}
		h, err := Hash(s)
		if err != nil || !Verify(s, h) {
			t.Fatalf("Hash/Verify of accepted key %q: %q, %v", s, h, err)
		}
	})
}

// TestParseAllocates: Parse runs on every request and allocates nothing.
func TestParseAllocates(t *testing.T) {
	key, _, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() {
		if _, ok := Parse(key); !ok {
			t.Fatal("a generated key does not parse")
		}
	}); n != 0 {
		t.Errorf("Parse allocates %v times per call", n)
	}
}
