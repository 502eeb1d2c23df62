// Package apikey is the format of Sluice API keys and of their stored
// hashes. A key looks like
//
//	sk-sluice-7Qx2mK9p_<32 random base62 characters><6 character checksum>
//
// The fixed prefix lets secret scanners find leaked keys, and the CRC32
// checksum lets Sluice and the scanners reject a mistyped or made-up key
// without looking anything up. The id after the prefix is public: it is
// how a key's record is found. Only a salted SHA-256 of the whole key is
// ever stored. See README.md in pkg/identity for the format in full.
package apikey

import (
	"crypto/rand"
	"errors"
	"hash/crc32"
	"io"
	"strings"
	"unsafe"
)

// Prefix starts every Sluice API key.
const Prefix = "sk-sluice-"

// Lengths of the parts of a key, in base62 characters.
const (
	IDLen       = 8
	SecretLen   = 32
	ChecksumLen = 6
	// KeyLen is the length of a whole key.
	KeyLen = len(Prefix) + IDLen + 1 + SecretLen + ChecksumLen
)

// Pattern is a regular expression matching a Sluice API key, for secret
// scanners. A match still needs its checksum verified (Parse does).
const Pattern = `\bsk-sluice-[0-9A-Za-z]{8}_[0-9A-Za-z]{38}\b`

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// ErrMalformed is returned for a string that is not a well-formed key.
var ErrMalformed = errors.New("not a well-formed Sluice API key")

// Generate returns a new key and its id, from crypto/rand.
func Generate() (key, id string, err error) {
	return generate(rand.Reader)
}

func generate(r io.Reader) (string, string, error) {
	id, err := randomBase62(r, IDLen)
	if err != nil {
		return "", "", err
	}
	secret, err := randomBase62(r, SecretLen)
	if err != nil {
		return "", "", err
	}
	body := Prefix + id + "_" + secret
	return body + checksum(body), id, nil
}

// randomBase62 draws n uniformly random base62 characters. Bytes at or
// above 248 (4*62) are redrawn, so no character is more likely than another.
func randomBase62(r io.Reader, n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+4)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if b < 248 && len(out) < n {
				out = append(out, alphabet[b%62])
			}
		}
	}
	return string(out), nil
}

// Parse checks that key is a well-formed Sluice API key with a valid
// checksum and returns its public id. It does not say whether the key
// exists: that takes its record and Verify.
func Parse(key string) (id string, ok bool) {
	if len(key) != KeyLen || !strings.HasPrefix(key, Prefix) {
		return "", false
	}
	rest := key[len(Prefix):]
	if rest[IDLen] != '_' || !isBase62(rest[:IDLen]) || !isBase62(rest[IDLen+1:]) {
		return "", false
	}
	if !checksumMatches(key[:KeyLen-ChecksumLen], key[KeyLen-ChecksumLen:]) {
		return "", false
	}
	return rest[:IDLen], true
}

// ValidID reports whether id has the form of a key id: 8 base62 characters.
func ValidID(id string) bool {
	return len(id) == IDLen && isBase62(id)
}

// checksum is the CRC32 (IEEE) of body as 6 base62 digits, zero padded;
// 62^6 is more than 2^32, so every CRC fits.
func checksum(body string) string {
	d := checksumDigits(body)
	return string(d[:])
}

// checksumMatches is checksum(body) == sum without building the string:
// Parse runs on every request.
func checksumMatches(body, sum string) bool {
	d := checksumDigits(body)
	return string(d[:]) == sum
}

func checksumDigits(body string) [ChecksumLen]byte {
	// A read-only view of the key: a copy would be an allocation per
	// request for a function that only reads it.
	c := crc32.ChecksumIEEE(unsafe.Slice(unsafe.StringData(body), len(body))) //nolint:gosec // read-only view, see above
	var out [ChecksumLen]byte
	for i := ChecksumLen - 1; i >= 0; i-- {
		out[i] = alphabet[c%62]
		c /= 62
	}
	return out
}

func isBase62(s string) bool {
	for i := range len(s) {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}
