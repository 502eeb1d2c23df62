package protect

import (
	"context"
	"slices"

	"github.com/sluice-gw/sluice/pkg/pii"
)

// nerSeparator keeps fields apart in the one text sent to the analyzer, so
// that no entity spans two of them.
const nerSeparator = "\n\n"

// analyze asks the Presidio analyzer about every field in one call (the
// fields joined), maps its findings back to their fields and merges them
// with the built-in scanner's. Where the two overlap the built-in finding
// stands: its type names what the actions are configured for.
func (sc *scan) analyze(ctx context.Context) error {
	starts := make([]int, len(sc.view.Fields))
	sc.buf = sc.buf[:0]
	for i := range sc.view.Fields {
		if i > 0 {
			sc.buf = append(sc.buf, nerSeparator...)
		}
		starts[i] = len(sc.buf)
		sc.buf = append(sc.buf, sc.view.Text(i)...)
	}
	ner, err := sc.e.presidio.Analyze(ctx, nil, sc.buf)
	if err != nil || len(ner) == 0 {
		return err
	}
	merged := make([]pii.Finding, 0, len(sc.found)+len(ner))
	spans := make([]span, len(sc.spans))
	for i, s := range sc.spans {
		lo := len(merged)
		end := starts[i] + len(sc.view.Text(i))
		var mine []pii.Finding
		for _, f := range ner {
			if f.Start >= starts[i] && f.End <= end {
				mine = append(mine, pii.Finding{Type: f.Type, Start: f.Start - starts[i], End: f.End - starts[i], Score: f.Score})
			}
		}
		merged = mergeFindings(merged, sc.found[s.lo:s.hi], mine)
		spans[i] = span{lo, len(merged)}
	}
	sc.found, sc.spans = merged, spans
	return nil
}

// mergeFindings appends the union of two sorted finding lists to dst,
// dropping any of b that overlaps one of a.
func mergeFindings(dst, a, b []pii.Finding) []pii.Finding {
	start := len(dst)
	dst = append(dst, a...)
	for _, f := range b {
		if !slices.ContainsFunc(a, func(g pii.Finding) bool { return f.Start < g.End && g.Start < f.End }) {
			dst = append(dst, f)
		}
	}
	tail := dst[start:]
	slices.SortStableFunc(tail, func(x, y pii.Finding) int { return x.Start - y.Start })
	// Presidio's own results may overlap one another; keep the first.
	out := dst[:start]
	end := -1
	for _, f := range tail {
		if f.Start >= end {
			out = append(out, f)
			end = f.End
		}
	}
	return out
}
