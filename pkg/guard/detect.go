package guard

import (
	"bytes"

	"github.com/sluice-gw/sluice/pkg/guard/match"
)

// action is what a match does to the output.
type action uint8

// The actions, in order of severity.
const (
	actAllow action = iota // not even counted
	actLog                 // counted and logged, text unchanged
	actMask                // replaced by <TYPE>
	actBlock               // the answer ends with content_filter
)

// The action names users write in config.
const (
	ActionAllow = "allow"
	ActionLog   = "log"
	ActionMask  = "mask"
	ActionBlock = "block"
)

func parseAction(s string, def action) action {
	switch s {
	case ActionAllow:
		return actAllow
	case ActionLog:
		return actLog
	case ActionMask:
		return actMask
	case ActionBlock:
		return actBlock
	}
	return def
}

func (a action) String() string {
	switch a {
	case actLog:
		return ActionLog
	case actMask:
		return ActionMask
	case actBlock:
		return ActionBlock
	}
	return ActionAllow
}

// span is one match in provider text: what it is and what it does.
type span struct {
	start, end int
	kind       string // entity type or rule name
	act        action
}

// detector finds matches in the provider's text. folded is text passed
// through match.Fold, for detectors that ignore case.
type detector interface {
	find(dst []span, text, folded []byte) []span
	// hold is how many bytes at the end of text could still become part
	// of a match when more text arrives.
	hold(text, folded []byte) int
}

// rule is a banned rule's identity, shared by its phrases and patterns.
type rule struct {
	name string
	act  action
}

// phrases is the dictionary of every banned rule's phrases.
type phrases struct {
	dict  *match.Dictionary
	rules []rule
	ms    []match.Match
}

func (p *phrases) find(dst []span, _, folded []byte) []span {
	p.ms = p.dict.Find(p.ms[:0], folded)
	for _, m := range p.ms {
		r := p.rules[m.ID]
		dst = append(dst, span{start: m.Start, end: m.End, kind: r.name, act: r.act})
	}
	return dst
}

func (p *phrases) hold(_, folded []byte) int { return p.dict.Hold(folded) }

// patterns is every banned rule's patterns.
type patterns struct {
	set   *match.Patterns
	rules []rule
	ms    []match.Match
}

func (p *patterns) find(dst []span, text, _ []byte) []span {
	p.ms = p.set.Find(p.ms[:0], text)
	for _, m := range p.ms {
		r := p.rules[m.ID]
		dst = append(dst, span{start: m.Start, end: m.End, kind: r.name, act: r.act})
	}
	return dst
}

func (p *patterns) hold(text, _ []byte) int { return p.set.Hold(text) }

// KindCanary is the type counted when the request's canary appears in the
// output.
const KindCanary = "canary"

// canary finds the request's canary token, which only a leaked system
// prompt can contain.
type canary struct {
	token []byte
	act   action
}

func (c *canary) find(dst []span, text, _ []byte) []span {
	for off := 0; ; {
		i := bytes.Index(text[off:], c.token)
		if i < 0 {
			return dst
		}
		dst = append(dst, span{start: off + i, end: off + i + len(c.token), kind: KindCanary, act: c.act})
		off += i + len(c.token)
	}
}

// hold is the longest suffix of text that starts the token.
func (c *canary) hold(text, _ []byte) int {
	for i := max(0, len(text)-len(c.token)+1); i < len(text); i++ {
		if bytes.HasPrefix(c.token, text[i:]) {
			return len(text) - i
		}
	}
	return 0
}
