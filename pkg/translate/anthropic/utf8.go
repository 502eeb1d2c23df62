package anthropic

import "unicode/utf8"

// splitRune splits b before a trailing incomplete UTF-8 sequence, so a rune
// a provider cut across two stream deltas can be held back and joined with
// the next delta instead of being replaced by U+FFFD. Invalid bytes that no
// continuation could complete are left in head, where encoding replaces
// them.
func splitRune[T ~string | ~[]byte](b T) (head, tail T) {
	// A rune is at most 4 bytes: look back at most 3 for its first byte.
	for i := len(b) - 1; i >= 0 && i >= len(b)-3; i-- {
		c := b[i]
		if c < utf8.RuneSelf {
			return b, tail // ASCII: nothing pending
		}
		if !utf8.RuneStart(c) {
			continue // continuation byte: keep looking for the start
		}
		if need := runeLen(c); need > len(b)-i {
			return b[:i], b[i:]
		}
		return b, tail
	}
	return b, tail
}

// runeLen is the length of the UTF-8 sequence that start byte c begins, or
// 1 for a byte that cannot begin one.
func runeLen(c byte) int {
	switch {
	case c >= 0xF5:
		return 1
	case c >= 0xF0:
		return 4
	case c >= 0xE0:
		return 3
	case c >= 0xC2:
		return 2
	}
	return 1
}
