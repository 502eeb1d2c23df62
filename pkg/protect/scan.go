package protect

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pii"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/textview"
)

// Metadata keys published to Envoy (namespace "sluice"): types and counts,
// never values.
const (
	// MetaPII is "EMAIL_ADDRESS:2,US_SSN:1".
	MetaPII = "pii"
	// MetaInjection is the injection verdict, "injection" or "benign".
	MetaInjection = "injection"
)

// scan is one request's inspection, kept from Inspect to Redact. Scans are
// pooled: a request that finds nothing allocates next to nothing.
type scan struct {
	e    *engine
	view textview.View
	// found holds every field's findings; spans[i] is field i's share.
	found []pii.Finding
	spans []span
	// stripped is set when invisible characters were removed from a field.
	stripped bool
	buf      []byte
}

type span struct{ lo, hi int }

func (sc *scan) reset() {
	sc.e = nil
	sc.found = sc.found[:0]
	sc.spans = sc.spans[:0]
	sc.stripped = false
	clear(sc.buf) // it held request text for the analyzer
	sc.buf = sc.buf[:0]
	_ = sc.view.Reset(0, nil) // drop the body reference
}

// bytesOf reads a string as bytes without copying; scanners only read.
func bytesOf(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s)) //nolint:gosec // read-only view of an immutable string
}

// run scans every text field and scores the user-controlled ones.
func (sc *scan) run(ctx context.Context, e *engine, f textview.Format, x *pipeline.Exchange) error {
	sc.e = e
	if err := sc.view.Reset(f, x.Request.Body); err != nil {
		return nil //nolint:nilerr // the parse stage already answered bad bodies; nothing to inspect
	}
	inj := pipeline.Injection{}
	for i := range sc.view.Fields {
		fl := &sc.view.Fields[i]
		text := fl.Text
		if e.cfg.StripInvisible {
			if clean, changed := stripInvisible(text); changed {
				sc.view.Set(i, clean)
				sc.stripped = true
				text = clean
			}
		}
		lo := len(sc.found)
		sc.found = e.scanner.Scan(sc.found, bytesOf(text))
		sc.spans = append(sc.spans, span{lo, len(sc.found)})
		if e.detector != nil && scored(fl.Role) {
			// The original text: invisible characters are themselves a
			// signal the detector reports.
			r := e.detector.Score(bytesOf(fl.Text))
			inj.Score = max(inj.Score, r.Score)
			for _, s := range r.Signals {
				if !slices.Contains(inj.Signals, s) {
					inj.Signals = append(inj.Signals, s)
				}
			}
		}
	}
	if e.presidio != nil {
		if err := sc.analyze(ctx); err != nil {
			return gwerror.Wrap(gwerror.UpstreamUnavailable, err, "the data-protection analyzer is unavailable")
		}
	}
	if e.detector != nil {
		inj.Verdict = "benign"
		if inj.Score >= e.threshold {
			inj.Verdict = "injection"
		}
		slices.Sort(inj.Signals)
		x.Protect.Injection = inj
		x.Out.SetMetadata(MetaInjection, inj.Verdict)
	}
	sc.count(x)
	sc.policyExcerpt(x)
	return nil
}

// scored says which text is scored for injection: what users and tools
// wrote. The operator's system prompt is trusted (and often reads like an
// override), the model's own turns and tool arguments are its output, and
// embeddings inputs instruct no model.
func scored(r textview.Role) bool { return r == textview.User || r == textview.ToolResult }

// count fills x.Protect.Findings with the configured action per type.
func (sc *scan) count(x *pipeline.Exchange) {
	if len(sc.found) == 0 {
		return
	}
	var counts []pipeline.FindingCount
	for _, f := range sc.found {
		i := slices.IndexFunc(counts, func(c pipeline.FindingCount) bool { return c.Type == f.Type })
		if i < 0 {
			counts = append(counts, pipeline.FindingCount{Type: f.Type, Action: sc.e.cfg.Action(f.Type, isSecret(f.Type))})
			i = len(counts) - 1
		}
		counts[i].Count++
	}
	slices.SortFunc(counts, func(a, b pipeline.FindingCount) int { return strings.Compare(a.Type, b.Type) })
	x.Protect.Findings = counts
	var b strings.Builder
	for i, c := range counts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c.Type)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(c.Count))
	}
	x.Out.SetMetadata(MetaPII, b.String())
}

// policyExcerpt replaces the last user message excerpt the policy sees
// with the same text, invisible characters stripped when configured and
// every finding masked whatever its action: the policy decides on types,
// and its decision log must never hold a detected value.
func (sc *scan) policyExcerpt(x *pipeline.Exchange) {
	last := -1
	for i, f := range sc.view.Fields {
		if f.Role != textview.User {
			continue
		}
		// The summary takes each message's first text part.
		if last < 0 || sc.view.Fields[last].Message != f.Message {
			last = i
		}
	}
	if last < 0 || sc.spans[last].lo == sc.spans[last].hi && !sc.view.Edited() {
		return
	}
	text := sc.view.Text(last)
	var b []byte
	at := 0
	for _, f := range sc.found[sc.spans[last].lo:sc.spans[last].hi] {
		b = append(b, text[at:f.Start]...)
		b = append(b, '<')
		b = append(b, f.Type...)
		b = append(b, '>')
		at = f.End
	}
	b = append(b, text[at:]...)
	x.Summary.LastUserMessage = excerpt(string(b))
}

func excerpt(s string) string {
	if len(s) <= pipeline.LastUserMessageMax {
		return s
	}
	i := pipeline.LastUserMessageMax
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// needsRedact reports whether Redact has anything to do.
func (sc *scan) needsRedact() bool {
	return len(sc.found) > 0 || sc.stripped || sc.e.cfg.Canary
}

// secretSuffixes and secretTypes tell credentials from personal data, for
// the secret_action default.
var (
	secretSuffixes = []string{"_KEY", "_TOKEN", "_SECRET", "_PASSWORD"}
	secretTypes    = map[string]bool{"JWT": true, "SECRET": true, "PASSWORD": true, "PRIVATE_KEY": true, "SLACK_WEBHOOK": true, "CONNECTION_STRING": true}
)

func isSecret(t string) bool {
	if secretTypes[t] {
		return true
	}
	for _, s := range secretSuffixes {
		if strings.HasSuffix(t, s) {
			return true
		}
	}
	return false
}
