package moderation

import (
	"testing"
	"unicode/utf8"
)

func FuzzParseGuardAnswer(f *testing.F) {
	for _, s := range []string{"safe", "unsafe\nS1,S2", "**unsafe**", "", "\xff", "unsafe " + string(make([]byte, 100))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, answer string) {
		v, err := parseGuardAnswer(answer)
		if err != nil {
			return
		}
		if !v.Flagged && len(v.Categories) > 0 {
			t.Fatalf("safe verdict with categories %q", v.Categories)
		}
		if len(v.Categories) > maxGuardCategories {
			t.Fatalf("%d categories", len(v.Categories))
		}
		for _, c := range v.Categories {
			if c == "" || len(c) > maxGuardCategoryLen || (utf8.ValidString(answer) && !utf8.ValidString(c)) {
				t.Fatalf("category %q", c)
			}
		}
	})
}

func FuzzParseModeration(f *testing.F) {
	for _, s := range []string{`{"results":[{"flagged":true,"categories":{"hate":true},"category_scores":{"hate":0.9}}]}`,
		`{"results":[]}`, `[]`, `null`, `{"results":[{"flagged":null}]}`} {
		f.Add([]byte(s))
	}
	c := &Client{thresholds: map[string]float64{"hate": 0.5}}
	f.Fuzz(func(t *testing.T, raw []byte) {
		v, err := c.parse(raw)
		if err == nil && len(v.Categories) > 0 && !v.Flagged {
			t.Fatalf("categories %q without a flag", v.Categories)
		}
		_, _ = parseChat(raw)
	})
}
