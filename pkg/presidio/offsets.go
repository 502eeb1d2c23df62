package presidio

import (
	"cmp"
	"encoding/json"
	"errors"
	"slices"
	"unicode/utf8"

	"github.com/sluice-gw/sluice/pkg/pii"
)

// parse turns the analyzer's answer into findings on text. Answers of types
// not asked for, below the threshold, or with offsets outside the text are
// dropped: a misbehaving analyzer may miss entities, but it cannot make
// Sluice redact the wrong bytes.
func (c *Client) parse(raw, text []byte) ([]pii.Finding, error) {
	var results []analyzeResult
	if err := json.Unmarshal(raw, &results); err != nil {
		return nil, errors.New("malformed analyzer response")
	}
	found := make([]pii.Finding, 0, len(results))
	for _, r := range results {
		if r.Start == nil || r.End == nil || r.Score == nil {
			return nil, errors.New("analyzer result without start, end or score")
		}
		if !c.wants(r.EntityType) || *r.Score < c.threshold || *r.Start < 0 || *r.Start >= *r.End {
			continue
		}
		found = append(found, pii.Finding{Type: r.EntityType, Start: *r.Start, End: *r.End, Score: min(*r.Score, 1)})
	}
	found = toBytes(text, found)
	return dropOverlaps(found), nil
}

// wants reports whether findings of type t are reported. The type becomes
// part of placeholders and metric labels, so an analyzer's odd spelling is
// not let through even when every type is asked for.
func (c *Client) wants(t string) bool {
	if c.wanted != nil {
		return c.wanted[t]
	}
	return validType(t)
}

// validType reports whether t is spelt like an entity type: upper case
// letters, digits and '_', starting with a letter, at most 64 bytes.
func validType(t string) bool {
	if t == "" || len(t) > 64 || t[0] < 'A' || t[0] > 'Z' {
		return false
	}
	for i := range len(t) {
		if c := t[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// toBytes converts findings' code-point offsets into byte offsets into
// text, in one pass over it, and drops findings that end past the text.
// Each byte of invalid UTF-8 counts as one code point, matching the U+FFFD
// it was sent as.
func toBytes(text []byte, fs []pii.Finding) []pii.Finding {
	if len(fs) == 0 {
		return fs
	}
	points := make([]int, 0, 2*len(fs))
	for _, f := range fs {
		points = append(points, f.Start, f.End)
	}
	slices.Sort(points)
	points = slices.Compact(points)
	bytesAt := make([]int, len(points))
	runes, off := 0, 0
	for i, p := range points {
		for runes < p && off < len(text) {
			_, size := utf8.DecodeRune(text[off:])
			off += size
			runes++
		}
		bytesAt[i] = off
		if runes < p {
			bytesAt[i] = -1 // past the end of the text
		}
	}
	at := func(p int) int {
		i, _ := slices.BinarySearch(points, p)
		return bytesAt[i]
	}
	out := fs[:0]
	for _, f := range fs {
		f.Start, f.End = at(f.Start), at(f.End)
		if f.Start >= 0 && f.End > f.Start {
			out = append(out, f)
		}
	}
	return out
}

// dropOverlaps sorts findings by start and keeps, of overlapping ones, the
// higher-scored (the longer on a tie), so the result can be redacted span
// by span.
func dropOverlaps(fs []pii.Finding) []pii.Finding {
	slices.SortFunc(fs, func(a, b pii.Finding) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(b.End, a.End))
	})
	out := fs[:0]
	for _, f := range fs {
		if n := len(out); n > 0 && f.Start < out[n-1].End {
			last := &out[n-1]
			if f.Score > last.Score || (f.Score == last.Score && f.End-f.Start > last.End-last.Start) {
				*last = f
			}
			continue
		}
		out = append(out, f)
	}
	return out
}
