package guard

import "github.com/sluice-gw/sluice/pkg/pipeline"

// counts tallies what the guardrails found into the exchange's
// Protect.Output, by type and action. Never values.
type counts struct{ out *[]pipeline.FindingCount }

func (c *counts) add(kind string, a action) {
	if c == nil || c.out == nil {
		return
	}
	name := a.String()
	for i := range *c.out {
		if f := &(*c.out)[i]; f.Type == kind && f.Action == name {
			f.Count++
			return
		}
	}
	*c.out = append(*c.out, pipeline.FindingCount{Type: kind, Action: name, Count: 1})
}
