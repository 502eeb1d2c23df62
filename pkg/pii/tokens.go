package pii

import (
	"bytes"
	"encoding/base64"
	"hash/crc32"

	"github.com/sluice-gw/sluice/pkg/identity/apikey"
)

// maxToken bounds every token without spaces (JWTs are the long ones): a
// longer run is not reported, which keeps Hold bounded.
const maxToken = 4096

// run returns the end of the run of class bytes starting at i, or -1 if it
// is longer than limit.
func run(text []byte, i int, class uint16, limit int) int {
	j := i
	for j < len(text) && is(text[j], class) {
		j++
		if j-i > limit {
			return -1
		}
	}
	return j
}

// prefixed matches prefix at i followed by lo..hi bytes of class, ending
// at a word boundary.
func prefixed(text []byte, i int, prefix string, class uint16, lo, hi int) int {
	if !bytes.HasPrefix(text[i:], []byte(prefix)) {
		return 0
	}
	return tokenEnd(text, i+len(prefix), class, lo, hi)
}

// tokenEnd matches lo..hi bytes of class at j, ending at a word boundary.
func tokenEnd(text []byte, j int, class uint16, lo, hi int) int {
	end := run(text, j, class, hi)
	if end < 0 || end-j < lo || is(at(text, end), cWord) {
		return 0
	}
	return end
}

var awsPrefixes = [...]string{"AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "AROA", "APKA", "ASCA"}

func (sc *scan) awsOrGoogle(i int) hit {
	text := sc.text
	if !is(at(text, i+3), cUpper|cLower) {
		return hit{}
	}
	if end := prefixed(text, i, "AIza", cB64URL, 35, 35); end != 0 {
		return hit{t: tGoogle, start: i, end: end, score: 0.95}
	}
	for _, p := range awsPrefixes {
		if end := prefixed(text, i, p, cUpper|cDigit, 16, 16); end != 0 {
			return hit{t: tAWSAccess, start: i, end: end, score: 0.95}
		}
	}
	return hit{}
}

func (sc *scan) gitToken(i int) hit {
	text := sc.text
	if c := at(text, i+1); c != 'h' && c != 'i' && c != 'l' {
		return hit{}
	}
	if at(text, i+1) == 'h' && at(text, i+3) == '_' {
		switch at(text, i+2) {
		case 'p', 'o', 'u', 's', 'r':
			if end := tokenEnd(text, i+4, cUpper|cLower|cDigit, 36, 251); end != 0 {
				return hit{t: tGitHub, start: i, end: end, score: 0.95}
			}
		}
	}
	if end := prefixed(text, i, "github_pat_", cWord, 40, 255); end != 0 {
		return hit{t: tGitHub, start: i, end: end, score: 0.95}
	}
	if end := prefixed(text, i, "glpat-", cB64URL, 20, 255); end != 0 {
		return hit{t: tGitLab, start: i, end: end, score: 0.95}
	}
	return hit{}
}

func (sc *scan) slackToken(i int) hit {
	text := sc.text
	if c := at(text, i+1); c != 'o' && c != 'a' {
		return hit{}
	}
	if bytes.HasPrefix(text[i:], []byte("xox")) && at(text, i+4) == '-' {
		switch at(text, i+3) {
		case 'a', 'b', 'p', 'r', 's', 'e':
			if end := tokenEnd(text, i+5, cB64URL, 10, 250); end != 0 {
				return hit{t: tSlack, start: i, end: end, score: 0.95}
			}
		}
	}
	if end := prefixed(text, i, "xapp-", cB64URL, 10, 250); end != 0 {
		return hit{t: tSlack, start: i, end: end, score: 0.95}
	}
	return hit{}
}

const slackHook = "https://hooks.slack.com/services/"

// slackWebhook accepts https://hooks.slack.com/services/T.../B.../<secret>.
func (sc *scan) slackWebhook(i int) hit {
	text := sc.text
	if at(text, i+1) != 't' || !bytes.HasPrefix(text[i:], []byte(slackHook)) {
		return hit{}
	}
	j := i + len(slackHook)
	for part := range 3 {
		end := run(text, j, cUpper|cLower|cDigit, 64)
		if end < 0 || end-j < 8 {
			return hit{}
		}
		j = end
		if part < 2 {
			if at(text, j) != '/' {
				return hit{}
			}
			j++
		}
	}
	if is(at(text, j), cWord) {
		return hit{}
	}
	return hit{t: tSlackWebhook, start: i, end: j, score: 0.95}
}

// skToken covers the keys that start with "sk" or "rk": Sluice's own, with
// its checksum verified, Anthropic's, OpenAI's and Stripe's.
func (sc *scan) skToken(i int) hit {
	text := sc.text
	if at(text, i+1) != 'k' || at(text, i+2) != '-' && at(text, i+2) != '_' {
		return hit{}
	}
	if bytes.HasPrefix(text[i:], []byte(apikey.Prefix)) {
		if end := i + apikey.KeyLen; validSluiceKey(text[i:min(end, len(text))]) && !is(at(text, end), cWord) {
			return hit{t: tSluice, start: i, end: end, score: 1}
		}
		return hit{}
	}
	if end := prefixed(text, i, "sk-ant-", cB64URL, 32, 250); end != 0 {
		return hit{t: tAnthropic, start: i, end: end, score: 0.95}
	}
	for _, p := range [...]string{"sk-proj-", "sk-svcacct-", "sk-admin-", "sk-None-"} {
		if end := prefixed(text, i, p, cB64URL, 20, 250); end != 0 {
			return hit{t: tOpenAI, start: i, end: end, score: 0.95}
		}
	}
	if end := prefixed(text, i, "sk-", cB64URL, 32, 250); end != 0 && mixed(text[i+3:end]) {
		return hit{t: tOpenAI, start: i, end: end, score: 0.85}
	}
	for _, p := range [...]string{"sk_live_", "sk_test_", "rk_live_", "rk_test_"} {
		if end := prefixed(text, i, p, cUpper|cLower|cDigit, 20, 250); end != 0 {
			return hit{t: tStripe, start: i, end: end, score: 0.95}
		}
	}
	return hit{}
}

// mixed reports whether s has both letters and digits, as generated keys
// do and hyphenated words ("sk-learn-...") do not.
func mixed(s []byte) bool {
	var letter, digit bool
	for _, c := range s {
		letter = letter || is(c, cUpper|cLower)
		digit = digit || is(c, cDigit)
	}
	return letter && digit
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// validSluiceKey checks the format and CRC32 checksum defined by
// pkg/identity/apikey, on bytes, without building a string.
func validSluiceKey(k []byte) bool {
	if len(k) != apikey.KeyLen || k[len(apikey.Prefix)+apikey.IDLen] != '_' {
		return false
	}
	body := k[:apikey.KeyLen-apikey.ChecksumLen]
	for j, c := range k[len(apikey.Prefix):] {
		if !is(c, cUpper|cLower|cDigit) && j != apikey.IDLen {
			return false
		}
	}
	sum := crc32.ChecksumIEEE(body)
	tail := k[apikey.KeyLen-apikey.ChecksumLen:]
	for j := apikey.ChecksumLen - 1; j >= 0; j-- {
		if tail[j] != base62[sum%62] {
			return false
		}
		sum /= 62
	}
	return true
}

const maxJWTHeader = 1024

// jwt accepts three base64url segments whose first decodes to a JSON
// object with an "alg" member.
func (sc *scan) jwt(i int) hit {
	text := sc.text
	if at(text, i+1) != 'y' || at(text, i+2) != 'J' {
		return hit{}
	}
	j := i
	var dots [2]int
	for seg := range 3 {
		end := run(text, j, cB64URL, maxToken)
		if end < 0 || end == j || end-i > maxToken {
			return hit{}
		}
		j = end
		if seg < 2 {
			if at(text, j) != '.' {
				return hit{}
			}
			dots[seg] = j
			j++
		}
	}
	if c := at(text, j); is(c, cB64URL) || c == '.' && is(at(text, j+1), cB64URL) {
		return hit{}
	}
	if !jwtHeader(text[i:dots[0]]) {
		return hit{}
	}
	return hit{t: tJWT, start: i, end: j, score: 0.95}
}

func jwtHeader(seg []byte) bool {
	if len(seg) > maxJWTHeader || len(seg)%4 == 1 {
		return false
	}
	var buf [maxJWTHeader * 3 / 4]byte
	n, err := base64.RawURLEncoding.Decode(buf[:], seg)
	if err != nil {
		return false
	}
	h := bytes.TrimSpace(buf[:n])
	return len(h) > 1 && h[0] == '{' && bytes.Contains(h, []byte(`"alg"`))
}
