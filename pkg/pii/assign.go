package pii

import "bytes"

const (
	maxKey      = 64
	maxValue    = 256
	minValue    = 8
	minEntropy  = 3.0 // bits per byte; random base62 of 16+ bytes is near 4
	awsSecretKN = 40
)

// secretNames are the ends of key names whose values are secrets, compared
// lower-cased with '_', '-' and '.' removed: "DB_PASSWORD", "x-api-key" and
// "client.secret" all qualify, "max_tokens" and "tokenizer" do not.
var secretNames = []string{
	"password", "passwd", "passphrase", "pwd", "secret", "token", "apikey",
	"accesskey", "secretkey", "privatekey", "signingkey", "masterkey", "encryptionkey",
	"credential", "credentials", "auth", "authorization", "sessionkey", "sessionid",
}

// placeholders mark values that stand in for a secret rather than being one.
var placeholders = []string{
	"example", "changeme", "placeholder", "your", "xxxx", "****", "redacted", "dummy",
	"sample", "<", "${", "{{", "%s", "process.env", "environ", "getenv", "secret_here",
}

// assignment is anchored on '=' or ':' after a secret-looking name, e.g.
// password=..., api_key: ..., "client_secret": "...", TOKEN := '...'. The
// finding is the value alone, reported when it is long and random enough.
func (sc *scan) assignment(i int) hit {
	text := sc.text
	k, ok := keyStart(text, i)
	if !ok || !secretName(text[k.start:k.end]) {
		return hit{}
	}
	j := i + 1
	if c := at(text, j); (text[i] == ':' && c == '=') || (text[i] == '=' && c == '>') {
		j++
	}
	for n := 0; n < 2 && (at(text, j) == ' ' || at(text, j) == '\t'); n++ {
		j++
	}
	quote := at(text, j)
	if quote == '"' || quote == '\'' {
		j++
	} else {
		quote = 0
	}
	j = skipScheme(text, j)
	if j < len(text) && is(text[j], cWord) && sc.word(j).end != 0 {
		// The value is an entity of its own (a JWT, a provider key): the
		// scan reports it under its own type when it gets there.
		return hit{}
	}
	end := run(text, j, cValue, maxValue)
	if end < 0 {
		return hit{}
	}
	if quote != 0 && at(text, end) != quote {
		return hit{}
	}
	for quote == 0 && end > j && bytes.IndexByte([]byte(".:!?"), text[end-1]) >= 0 {
		end--
	}
	v := text[j:end]
	if len(v) < minValue || entropy(v) < minEntropy || placeholder(v) {
		return hit{}
	}
	var buf [maxValue]byte
	if len(v) == awsSecretKN && bytes.Contains(lower(buf[:0], text[k.start:k.end]), []byte("aws")) {
		return hit{t: tAWSSecret, start: j, end: end, score: 0.9}
	}
	return hit{t: tSecret, start: j, end: end, score: 0.8}
}

type span struct{ start, end int }

// keyStart finds the key name that ends before the operator at i, past a
// closing quote and up to two spaces.
func keyStart(text []byte, i int) (span, bool) {
	k := i
	for n := 0; n < 2 && k > 0 && (text[k-1] == ' ' || text[k-1] == '\t'); n++ {
		k--
	}
	if k > 0 && (text[k-1] == '"' || text[k-1] == '\'') {
		k--
	}
	e := k
	for k > 0 && e-k <= maxKey && (is(text[k-1], cWord) || text[k-1] == '-' || text[k-1] == '.') {
		k--
	}
	if k == e || e-k > maxKey {
		return span{}, false
	}
	return span{k, e}, true
}

// skipScheme steps over an HTTP authorization scheme before the credential.
func skipScheme(text []byte, j int) int {
	for _, s := range [...]string{"bearer ", "basic ", "token "} {
		if len(text)-j > len(s) && bytes.EqualFold(text[j:j+len(s)], []byte(s)) {
			return j + len(s)
		}
	}
	return j
}

func secretName(key []byte) bool {
	var buf [maxKey + 1]byte
	n := 0
	for _, c := range key {
		switch {
		case c == '_' || c == '-' || c == '.':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	norm := buf[:n]
	for _, s := range secretNames {
		if bytes.HasSuffix(norm, []byte(s)) {
			return true
		}
	}
	return false
}

func placeholder(v []byte) bool {
	var buf [maxValue]byte
	l := lower(buf[:0], v)
	for _, p := range placeholders {
		if bytes.Contains(l, []byte(p)) {
			return true
		}
	}
	return false
}

// lower appends an ASCII lower-cased copy of b to out.
func lower(out, b []byte) []byte {
	for _, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out = append(out, c)
	}
	return out
}
