package pricing

import (
	"errors"
	"fmt"
	"strings"
)

// MaxMicros bounds ParseMicros: one million dollars. No token price comes
// near it, and a budget limit above it is more likely a typo than a plan.
// Keeping amounts small is also what lets token counts up to 2^63 be
// priced in 128-bit arithmetic without loss.
const MaxMicros = 1_000_000 * 1_000_000

var errDecimal = errors.New("want a decimal number of dollars with at most six places, like 2.50")

// ParseMicros reads a decimal amount of dollars ("2.50", "0.075", "3") into
// micro-dollars (2500000, 75000, 3000000) exactly. It accepts digits with an
// optional point and at most six fractional digits: no sign, exponent,
// currency symbol or thousands separator.
func ParseMicros(s string) (int64, error) {
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || hasPoint && frac == "" || len(frac) > 6 || !digits(whole) || !digits(frac) {
		return 0, fmt.Errorf("%q: %w", s, errDecimal)
	}
	if len(whole) > 7 { // more than 9,999,999 dollars, certainly over MaxMicros
		return 0, fmt.Errorf("%q: more than the maximum of 1000000", s)
	}
	var v int64
	for _, c := range whole + frac + strings.Repeat("0", 6-len(frac)) {
		v = v*10 + int64(c-'0')
	}
	if v > MaxMicros {
		return 0, fmt.Errorf("%q: more than the maximum of 1000000", s)
	}
	return v, nil
}

// FormatMicros writes micro-dollars as a decimal amount of dollars with six
// places, the inverse of ParseMicros: 2500000 is "2.500000".
func FormatMicros(v int64) string {
	sign, whole, frac := "", v/1_000_000, v%1_000_000
	if v < 0 {
		sign, whole, frac = "-", -whole, -frac // whole may be 0, so the sign is written apart
	}
	return fmt.Sprintf("%s%d.%06d", sign, whole, frac)
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
