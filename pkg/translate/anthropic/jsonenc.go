package anthropic

import (
	"strconv"

	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// The translation builds JSON by appending to a byte slice. Values copied
// from the validated input keep their raw encoding; only strings Sluice
// composes are encoded, by rawjson.AppendString.

// sep appends the comma that separates members or elements, unless dst is
// at the start of an object, an array or a value.
func sep(dst []byte) []byte {
	if n := len(dst); n > 0 {
		switch dst[n-1] {
		case '{', '[', ':':
			return dst
		}
		return append(dst, ',')
	}
	return dst
}

// key appends `"k":` preceded by a separator when needed. Keys are literals
// without characters that need escaping.
func key(dst []byte, k string) []byte {
	dst = sep(dst)
	dst = append(dst, '"')
	dst = append(dst, k...)
	return append(dst, '"', ':')
}

// str appends a member whose value is a composed string.
func str(dst []byte, k, v string) []byte { return rawjson.AppendString(key(dst, k), v) }

// raw appends a member whose value is already-encoded JSON.
func raw(dst []byte, k, v string) []byte { return append(key(dst, k), v...) }

// num appends an integer member.
func num(dst []byte, k string, v int64) []byte { return strconv.AppendInt(key(dst, k), v, 10) }
