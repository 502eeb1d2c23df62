package guard

import (
	"slices"
	"unicode/utf8"

	"github.com/sluice-gw/sluice/pkg/guard/match"
)

// text is one text of an answer as it streams: a choice's content, one
// tool call's arguments, one Anthropic content block. buf is provider
// text: up to contextLen bytes already released (buf[:off]), then the
// pending tail not released yet, which could still become a match or a
// placeholder.
type text struct {
	buf []byte
	off int
	// inJSON marks tool-call arguments, JSON text in which restored values
	// must be escaped.
	inJSON bool
	// seen is everything released, in the client's form, kept only when
	// the answer is validated or moderated as a whole at its end.
	seen []byte
	// red is the provider text released, kept only for moderation at
	// the end; window is text waiting for moderation in stream windows.
	red, window []byte
	done        bool
}

// checker runs the detectors over one answer's texts. It belongs to one
// exchange and is not safe for concurrent use.
type checker struct {
	dets []detector
	fold bool // a detector reads folded text
	ph   *pseudonyms

	folded []byte
	spans  []span
	red    []byte // the redacted provider text released by the last next
	out    []byte // red with placeholders restored
	counts *counts
}

// idle reports whether the checker never changes or holds text.
func (c *checker) idle() bool { return len(c.dets) == 0 && c.ph == nil }

// next adds delta to t and returns the redacted provider text that may be
// released now. final releases everything. A non-nil stop is a match
// whose action is block: nothing more may be released. The result is
// valid until the next call.
func (c *checker) next(t *text, delta []byte, final bool) (red []byte, stop *span) {
	if c.idle() {
		c.red = append(c.red[:0], delta...)
		return c.red, nil
	}
	t.buf = append(t.buf, delta...)
	src, off := t.buf, t.off
	var folded []byte
	if c.fold {
		c.folded = match.Fold(c.folded[:0], src)
		folded = c.folded
	}
	c.spans = c.spans[:0]
	for _, d := range c.dets {
		c.spans = d.find(c.spans, src, folded)
	}
	cut := len(src)
	if !final {
		cut = max(off, c.holdBack(src, folded))
	}
	slices.SortFunc(c.spans, func(a, b span) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	c.red = c.red[:0]
	at := off
	for i := range c.spans {
		s := &c.spans[i]
		if s.end > cut || s.end <= off || s.act == actAllow {
			continue // not final yet, or released already
		}
		// A match reaching back into released text can only be a
		// detector whose hold fell short; what is still here is masked.
		s.start = max(s.start, off)
		c.counts.add(s.kind, s.act)
		if s.act == actBlock {
			return nil, s
		}
		if s.act != actMask {
			continue // counted only
		}
		if s.start < at {
			at = max(at, s.end) // overlaps a masked match: one mask covers both
			continue
		}
		c.red = append(c.red, src[at:s.start]...)
		c.red = append(append(append(c.red, '<'), s.kind...), '>')
		at = s.end
	}
	c.red = append(c.red, src[at:cut]...)
	keep := max(0, cut-contextLen)
	for keep > 0 && keep < cut && !utf8.RuneStart(src[keep]) {
		keep++
	}
	t.buf = t.buf[:copy(t.buf, src[keep:])]
	t.off = cut - keep
	return c.red, nil
}

// contextLen is how much released text the detectors still see before the
// pending text: whether a run of digits is a phone number, or a word a
// match, can depend on what precedes it.
const contextLen = 64

// holdBack returns where the releasable text ends: before every byte that
// more text could still turn into a match or a placeholder, and never
// inside a match or placeholder.
func (c *checker) holdBack(src, folded []byte) int {
	h := 0
	for _, d := range c.dets {
		h = max(h, d.hold(src, folded))
	}
	cut := len(src) - h
	for cut > 0 && cut < len(src) && !utf8.RuneStart(src[cut]) {
		cut-- // never split a character
	}
	for moved := true; moved; {
		moved = false
		for _, s := range c.spans {
			if s.start < cut && s.end > cut {
				cut, moved = s.start, true
			}
		}
		if c.ph != nil {
			if pc := c.ph.cut(src, cut, false); pc < cut {
				cut, moved = pc, true
			}
		}
	}
	return cut
}

// restore returns red in the client's form: placeholders replaced by the
// client's values. The result is valid until the next call.
func (c *checker) restore(red []byte, inJSON bool) []byte {
	if c.ph == nil {
		return red
	}
	c.out = c.ph.restore(c.out[:0], red, inJSON)
	return c.out
}
