package scan

import (
	"cmp"
	"slices"
	"sort"

	"github.com/sluice-gw/sluice/pkg/pii"
)

// merge combines the built-in scanner's findings with an analyzer's, both
// sorted and non-overlapping, into one such list. Where they overlap the
// built-in finding stands, as in the gateway: its patterns are validated
// where a language model guesses.
func merge(builtin, ner []pii.Finding) []pii.Finding {
	if len(ner) == 0 {
		return builtin
	}
	out := append(make([]pii.Finding, 0, len(builtin)+len(ner)), builtin...)
	for _, f := range ner {
		i := sort.Search(len(builtin), func(i int) bool { return builtin[i].End > f.Start })
		if i == len(builtin) || builtin[i].Start >= f.End {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b pii.Finding) int { return cmp.Compare(a.Start, b.Start) })
	return out
}
