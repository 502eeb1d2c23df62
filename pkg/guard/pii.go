package guard

import (
	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/pii"
)

// piiRules is the output PII and secret scan: one scanner, an action per
// entity type.
type piiRules struct {
	scanner *pii.Scanner
	def     action
	actions map[string]action
}

func newPIIRules(g *config.GuardrailPII) (*piiRules, error) {
	s, err := pii.New(pii.Config{Types: g.Types})
	if err != nil {
		return nil, err
	}
	r := &piiRules{scanner: s, def: parseAction(g.Action, actMask)}
	if len(g.Actions) > 0 {
		r.actions = make(map[string]action, len(g.Actions))
		for t, a := range g.Actions {
			r.actions[t] = parseAction(a, r.def)
		}
	}
	return r, nil
}

func (r *piiRules) action(typ string) action {
	if a, ok := r.actions[typ]; ok {
		return a
	}
	return r.def
}

func (r *piiRules) detector() detector { return &piiDetector{r: r} }

// piiDetector scans provider text, where pseudonymized values are still
// placeholders: what the client wrote is never flagged as output PII.
type piiDetector struct {
	r  *piiRules
	fs []pii.Finding
}

func (d *piiDetector) find(dst []span, text, _ []byte) []span {
	d.fs = d.r.scanner.Scan(d.fs[:0], text)
	for _, f := range d.fs {
		dst = append(dst, span{start: f.Start, end: f.End, kind: f.Type, act: d.r.action(f.Type)})
	}
	return dst
}

// hold is the scanner's own account of how much of text's end more text
// could still turn into a finding.
func (d *piiDetector) hold(text, _ []byte) int { return d.r.scanner.Hold(text) }
