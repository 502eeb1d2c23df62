package pii

// countryCode returns the length of the E.164 country calling code d starts
// with, or 0 if none is assigned.
func countryCode(d []byte) int {
	if len(d) < 4 {
		return 0
	}
	switch d[0] {
	case '1', '7':
		return 1
	}
	two := int(d[0]-'0')*10 + int(d[1]-'0')
	if cc2[two] {
		return 2
	}
	three := two*10 + int(d[2]-'0')
	if cc3(three) {
		return 3
	}
	return 0
}

var cc2 = func() (m [100]bool) {
	for _, c := range []int{20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49,
		51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92,
		93, 94, 95, 98} {
		m[c] = true
	}
	return m
}()

// cc3 covers the three-digit country codes, by the ranges ITU assigned.
func cc3(c int) bool {
	switch {
	case c == 211 || c == 212 || c == 213 || c == 216 || c == 218:
	case c >= 220 && c <= 258, c >= 260 && c <= 269:
	case c == 290 || c == 291 || c >= 297 && c <= 299:
	case c >= 350 && c <= 359, c >= 370 && c <= 389:
	case c == 420 || c == 421 || c == 423:
	case c >= 500 && c <= 509, c >= 590 && c <= 599:
	case c == 670 || c >= 672 && c <= 692:
	case c == 850 || c == 852 || c == 853 || c == 855 || c == 856 || c == 880 || c == 886:
	case c >= 960 && c <= 968, c >= 970 && c <= 977, c >= 992 && c <= 996, c == 998:
	default:
		return false
	}
	return true
}
