package audit

import (
	"math"
	"strconv"
	"time"

	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// The record encoder appends JSON by hand: a record is a fixed shape, and
// appending it field by field costs a fraction of reflection-based
// encoding (see BenchmarkEncode). Keys are constants that need no
// escaping; values always go through rawjson.AppendString.

// key starts a member, with the comma unless it opens its object.
func key(b []byte, k string) []byte {
	if n := len(b); n > 0 && b[n-1] != '{' && b[n-1] != '[' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"', ':')
}

func str(b []byte, k, v string) []byte {
	return rawjson.AppendString(key(b, k), v)
}

// strOpt writes a string member only when it is not empty.
func strOpt(b []byte, k, v string) []byte {
	if v == "" {
		return b
	}
	return str(b, k, v)
}

// strList writes a member holding ss as an array of strings, only when ss
// is not empty.
func strList(b []byte, k string, ss []string) []byte {
	if len(ss) == 0 {
		return b
	}
	b = append(key(b, k), '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = rawjson.AppendString(b, s)
	}
	return append(b, ']')
}

func num(b []byte, k string, v int64) []byte {
	return strconv.AppendInt(key(b, k), v, 10)
}

func unum(b []byte, k string, v uint64) []byte {
	return strconv.AppendUint(key(b, k), v, 10)
}

func boolean(b []byte, k string, v bool) []byte {
	return strconv.AppendBool(key(b, k), v)
}

// float writes v with up to prec decimals; NaN and infinities, which JSON
// cannot hold, are written as 0.
func float(b []byte, k string, v float64, prec int) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	return strconv.AppendFloat(key(b, k), v, 'f', prec, 64)
}

// millis writes a duration in milliseconds with microsecond precision.
func millis(b []byte, k string, d time.Duration) []byte {
	return float(b, k, float64(d.Microseconds())/1000, 3)
}

// timestamp writes t as RFC 3339 with nanoseconds, in UTC.
func timestamp(b []byte, k string, t time.Time) []byte {
	b = append(key(b, k), '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}
