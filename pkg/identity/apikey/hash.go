package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SaltLen is the length in bytes of the random salt in a hash.
const SaltLen = 16

// hashScheme names the only hash Sluice writes or reads.
const hashScheme = "sha256"

// ErrBadHash is returned for a stored hash that is not
// "sha256:<base64url salt>:<base64url digest>".
var ErrBadHash = errors.New(`want "sha256:<salt>:<digest>" with a 16-byte salt and a 32-byte digest, base64url without padding, as printed by "sluice keys hash"`)

var b64 = base64.RawURLEncoding

// Digest is a parsed stored hash: a salt and SHA-256(salt || key).
//
// A fast hash is the right tool here, unlike for passwords. A password has
// little entropy, so a stolen hash can be brute-forced unless every guess
// is made expensive (bcrypt, scrypt, argon2). A Sluice key has 190 bits
// from crypto/rand; no number of guesses finds it, however fast each is.
// A slow hash would only add milliseconds of CPU to every request and make
// the gateway cheap to overload. The salt keeps equal keys from having
// equal hashes, so a leaked config says nothing about keys elsewhere.
type Digest struct {
	salt []byte
	sum  [sha256.Size]byte
}

// Hash returns the stored form of key, "sha256:<salt>:<digest>", with a
// fresh random salt. key must be a well-formed Sluice API key.
func Hash(key string) (string, error) {
	return hash(rand.Reader, key)
}

func hash(r io.Reader, key string) (string, error) {
	if _, ok := Parse(key); !ok {
		return "", ErrMalformed
	}
	salt := make([]byte, SaltLen)
	if _, err := io.ReadFull(r, salt); err != nil {
		return "", fmt.Errorf("reading salt: %w", err)
	}
	d := Digest{salt: salt, sum: digest(salt, key)}
	return d.String(), nil
}

// ParseDigest reads a stored hash.
func ParseDigest(s string) (Digest, error) {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || scheme != hashScheme {
		return Digest{}, ErrBadHash
	}
	salt64, sum64, ok := strings.Cut(rest, ":")
	if !ok {
		return Digest{}, ErrBadHash
	}
	salt, err := b64.DecodeString(salt64)
	if err != nil || len(salt) != SaltLen {
		return Digest{}, ErrBadHash
	}
	sum, err := b64.DecodeString(sum64)
	if err != nil || len(sum) != sha256.Size {
		return Digest{}, ErrBadHash
	}
	d := Digest{salt: salt}
	copy(d.sum[:], sum)
	return d, nil
}

// String is the stored form, "sha256:<salt>:<digest>".
func (d Digest) String() string {
	return hashScheme + ":" + b64.EncodeToString(d.salt) + ":" + b64.EncodeToString(d.sum[:])
}

// Matches reports whether key hashes to d. The comparison takes the same
// time wherever the digests differ, so response times reveal nothing
// about how close a guess was.
func (d Digest) Matches(key string) bool {
	if len(d.salt) == 0 {
		return false
	}
	got := digest(d.salt, key)
	return subtle.ConstantTimeCompare(got[:], d.sum[:]) == 1
}

// Verify reports whether key matches the stored hash. A hash that does
// not parse matches nothing.
func Verify(key, hash string) bool {
	d, err := ParseDigest(hash)
	return err == nil && d.Matches(key)
}

func digest(salt []byte, key string) [sha256.Size]byte {
	// Sized for a salt and a key, so the usual case stays on the stack.
	buf := make([]byte, 0, SaltLen+KeyLen)
	buf = append(buf, salt...)
	buf = append(buf, key...)
	return sha256.Sum256(buf)
}
