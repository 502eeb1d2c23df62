package pii

import (
	"slices"
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	"", "@", "a@a@a", "+1 (415) 555-0132 x12", "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00",
	"078-05-1120", "::ffff:192.0.2.1", "fe80::1%eth0", "00:1A:2B:3C:4D:5E", "password = \"S3cr3t!Value99\"",
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "-----BEGIN RSA PRIVATE KEY-----\nQUJD\n-----END RSA PRIVATE KEY-----",
	"sk-sluice-AAAAAAAA_", "\xff\xfe@\x80.com", "SSN: 536221234", "https://hooks.slack.com/services/T0000000/B00000000/XXXX",
}

// FuzzScan checks that Scan never panics and keeps its promises: findings
// in bounds, sorted, non-overlapping, with known types and scores in [0, 1],
// and the same on every call.
func FuzzScan(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	s := mustNew(f, Config{Custom: []CustomDetector{{Type: "EMPLOYEE_ID", Patterns: []string{`EMP-\d{4,8}`}, Phrases: []string{"falcon"}, Validator: "luhn"}}})
	types := append(BuiltinTypes(), "EMPLOYEE_ID")
	f.Fuzz(func(t *testing.T, text []byte) {
		fs := s.Scan(nil, text)
		end := 0
		for _, x := range fs {
			if x.Start < end || x.End <= x.Start || x.End > len(text) {
				t.Fatalf("bad span %+v after %d in %q", x, end, text)
			}
			if !slices.Contains(types, x.Type) || x.Score < 0 || x.Score > 1 {
				t.Fatalf("bad finding %+v", x)
			}
			end = x.End
		}
		if again := s.Scan(nil, text); !slices.Equal(fs, again) {
			t.Fatalf("Scan is not deterministic on %q", text)
		}
		rs := slices.Clone(fs)
		RuneOffsets(text, rs)
		for i, x := range rs {
			if x.Start != utf8.RuneCount(text[:fs[i].Start]) || x.End != utf8.RuneCount(text[:fs[i].End]) {
				t.Fatalf("RuneOffsets(%+v) = %+v", fs[i], x)
			}
		}
	})
}

// FuzzHold checks the streaming contract of Hold at a fuzzed split point.
func FuzzHold(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s+" and more text 4111"), uint16(len(s)/2))
	}
	s := mustNew(f, Config{})
	f.Fuzz(func(t *testing.T, text []byte, k uint16) {
		if len(text) == 0 {
			return
		}
		checkHold(t, s, text, int(k)%(len(text)+1))
	})
}
