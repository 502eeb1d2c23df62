package pii

import "bytes"

const (
	// spacedMax bounds the part of a spaced entity before its last word: an
	// IBAN in groups of four is 42 bytes, a key name and its operator 72.
	spacedMax = 96
	// ctxHold keeps the words before a held number, so a context word that
	// gates it ("SSN 078051121") is still there when the stream rescans.
	ctxHold = 40
	maxHold = maxPEM + 256
)

// MaxHold bounds Hold.
func (s *Scanner) MaxHold() int { return maxHold }

// Hold is how many bytes at the end of text a stream must hold back,
// because more text could still turn them into (part of) a finding.
// Findings that end before len(text)-Hold(text) are final. Bounded by
// s.MaxHold().
//
// The cut len(text)-Hold(text) never falls inside a finding of any text
// that starts with text, and findings of Scan(text) that end at or before
// the cut are exactly those of the longer text. The cut is also a place a
// stream can resume scanning from: it is at the start of the first word
// that could belong to an entity still open, with the words that gate or
// name it (a key name before its secret, "SSN" before nine digits).
//
// Hold reads the tail of text, and all of it when a PEM block, a custom
// detector or a very long token is in play: call it on the text a stream
// has not released yet, not on everything it has seen.
func (s *Scanner) Hold(text []byte) int {
	k := len(text)
	// far: any finding the cut splits is complete and final (see settle).
	c0, far := tailStart(text)
	// A cut inside a token needs the exact check in settle.
	inside := c0 > 0 && c0 < k && is(text[c0-1], cGlue) && is(text[c0], cGlue)
	c, widened := withContext(text, c0)
	if g := gatingWord(text); g < c {
		c, _ = withContext(text, g)
		widened = true
	}
	if s.customHold > 0 {
		c = min(c, k-min(k, s.customHold))
	}
	pemSeen := bytes.Contains(text[max(0, k-maxPEM-spacedMax):], pemBegin)
	if pemSeen {
		c = min(c, openPEM(text))
	}
	if k-c > maxHold {
		c, far = k-maxHold, true
	}
	if far || inside || widened || pemSeen || s.customHold > 0 {
		c = s.settle(text, c, c0, far)
	}
	return min(k-c, maxHold)
}

// settle moves the cut off any finding it falls inside: past a finding
// that is final, before one that is not.
func (s *Scanner) settle(text []byte, c, c0 int, far bool) int {
	var buf [16]Finding
	fs := s.Scan(buf[:0], text)
	// Moving the cut back before a finding can bring the words that gate
	// it, and with them another finding, into play: repeat until stable.
	for range 4 {
		moved := false
		for _, f := range fs {
			if f.End <= c {
				continue
			}
			if f.Start >= c {
				// A held secret value needs its key name held too.
				if secretType(f.Type) {
					if ks := secretKeyStart(text, f.Start); ks < c {
						c, moved = ks, true
					}
				}
				continue
			}
			moved = true
			switch {
			case far || f.End <= c0 || s.finalPEM(text, f):
				c = f.End
			case secretType(f.Type):
				c = secretKeyStart(text, f.Start)
			default:
				c, _ = withContext(text, f.Start)
			}
		}
		if !moved {
			break
		}
	}
	return c
}

func (s *Scanner) finalPEM(text []byte, f Finding) bool {
	if f.Type != TypePrivateKey {
		return false
	}
	_, complete := pemBlock(text, f.Start, nil)
	return complete || f.Start+maxPEM <= len(text)
}

// secretKeyStart returns the start of the key name a secret value at start
// was assigned to, which a rescan needs to find the value again.
func secretKeyStart(text []byte, start int) int {
	j := start
	if q := at(text, j-1); q == '"' || q == '\'' {
		j--
	}
	for _, s := range [...]string{"bearer ", "basic ", "token "} {
		if j >= len(s) && bytes.EqualFold(text[j-len(s):j], []byte(s)) {
			j -= len(s)
			break
		}
	}
	if q := at(text, j-1); q == '"' || q == '\'' {
		j--
	}
	for n := 0; n < 2 && (at(text, j-1) == ' ' || at(text, j-1) == '\t'); n++ {
		j--
	}
	if c := at(text, j-1); c == '>' || c == '=' && at(text, j-2) == ':' {
		j--
	}
	if c := at(text, j-1); c != '=' && c != ':' {
		return start
	}
	if k, ok := keyStart(text, j-1); ok {
		return k.start
	}
	return start
}

// secretType reports whether findings of type t are values found by their
// key name.
func secretType(t string) bool { return t == TypeSecret || t == TypeAWSSecretKey }
