package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/identity"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/policy"
	"github.com/sluice-gw/sluice/pkg/translate"

	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var start = time.Date(2026, 11, 22, 3, 0, 0, 123456789, time.UTC)

// exchange is a streamed chat request that went through every stage, with
// an email address and a key in its body that must never reach a record.
func exchange(body []byte) *pipeline.Exchange {
	x := &pipeline.Exchange{
		RequestID: "req-1", Start: start, API: pipeline.APIChat, Model: "gpt4o",
		Identity: &identity.Identity{Authenticated: true, Source: identity.SourceAPIKey, Subject: "key:k1",
			Tenant: "acme", Team: "search", User: "ana", App: "bot",
			Key: &identity.KeyInfo{ID: "k1", Name: "ci"}, SourceAddress: "10.0.0.7", SourcePort: 51234},
		Decision: &policy.Decision{Allow: true, Reasons: []string{"tenant.allowed", "model\"quoted"},
			DecisionID: "dec-1", Audit: "standard"},
		Route:  &config.Model{Name: "gpt-4o"},
		Target: translate.Target{Backend: "openai", Model: "gpt-4o-2024-08-06"},
		Chain:  "openai_then_anthropic",
		Protect: pipeline.Protect{
			Findings:  []pipeline.FindingCount{{Type: "EMAIL_ADDRESS", Action: "mask", Count: 2}, {Type: "SLUICE_API_KEY", Action: "block", Count: 1}},
			Injection: pipeline.Injection{Score: 0.12345, Verdict: "benign", Signals: []string{"delimiter"}},
			Output:    []pipeline.FindingCount{{Type: "banned_phrase", Action: "log", Count: 1}},
		},
		RespHeader: pipeline.Headers{{Key: "x-sluice-upstream-backend", Value: "anthropic"}, {Key: "x-envoy-attempt-count", Value: "2"}},
		Status:     200,
		Usage:      translate.Usage{InputTokens: 12, OutputTokens: 34, CachedInputTokens: 5, ReasoningTokens: 7},
		Outcome: pipeline.Outcome{Status: 200, FirstByte: start.Add(250 * time.Millisecond),
			CostMicros: 1234, Priced: true, Cache: "miss"},
	}
	x.Request.Body = body
	return x
}

const secretBody = `{"model":"gpt4o","messages":[{"role":"user","content":"mail ana@example.com key sk-sluice-abc"}]}`

func TestRecordGolden(t *testing.T) {
	denied := exchange(nil)
	denied.Decision = &policy.Decision{Status: 403, Reason: "model not allowed", Reasons: []string{"model.denied"}, DecisionID: "dec-2"}
	denied.Route, denied.Target, denied.Chain, denied.RespHeader, denied.Usage = nil, translate.Target{}, "", nil, translate.Usage{}
	denied.Outcome = pipeline.Outcome{Status: 403, Error: "policy_denied"}
	unauthenticated := &pipeline.Exchange{RequestID: "req-3", Start: start, API: pipeline.APIChat,
		Outcome: pipeline.Outcome{Status: 401, Error: "invalid_api_key"},
		Conn:    identity.Connection{SourceAddress: "192.0.2.9:4431"}}
	for _, tc := range []struct {
		name  string
		x     *pipeline.Exchange
		level config.AuditLevel
	}{
		{"standard", exchange([]byte(secretBody)), config.AuditStandard},
		{"minimal", exchange([]byte(secretBody)), config.AuditMinimal},
		{"denied", denied, config.AuditStandard},
		{"unauthenticated", unauthenticated, config.AuditStandard},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r Record
			FromExchange(&r, tc.x, tc.level, start.Add(1500*time.Millisecond))
			got := r.AppendJSON(nil)
			if !json.Valid(got) {
				t.Fatalf("invalid JSON: %s", got)
			}
			for _, secret := range []string{"ana@example.com", "sk-sluice", "mail "} {
				if bytes.Contains(got, []byte(secret)) {
					t.Errorf("record contains %q: %s", secret, got)
				}
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, got, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			golden := filepath.Join("testdata", tc.name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, pretty.Bytes(), 0o600); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if pretty.String() != string(want) {
				t.Errorf("record differs from %s\n got: %s\nwant: %s", golden, pretty.String(), want)
			}
		})
	}
}

func TestAppendString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", `"plain"`},
		{"q\"b\\n\n\r\t\x00\x1f", `"q\"b\\n\n\r\t\u0000\u001f"`},
		{"bad \xff utf8", `"bad \ufffd utf8"`},
		{"sep \u2028\u2029", `"sep \u2028\u2029"`},
		{"héllo ✓", `"héllo ✓"`},
	} {
		if got := string(rawjson.AppendString(nil, tc.in)); got != tc.want {
			t.Errorf("rawjson.AppendString(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\xff\xfe", "\u2028", "\x00\n", "日本"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := rawjson.AppendString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("rawjson.AppendString(%q) = %s: %v", s, out, err)
		}
		if utf8.ValidString(s) && back != s {
			t.Fatalf("round trip of %q gave %q", s, back)
		}
		if !utf8.ValidString(s) && back != strings.ToValidUTF8(s, "\ufffd") && !utf8.ValidString(back) {
			t.Fatalf("invalid UTF-8 %q came back as %q", s, back)
		}
	})
}

// BenchmarkRecord builds and encodes a record for requests of 1 KiB and
// 1 MiB: allocations and bytes per record must not grow with the body.
func BenchmarkRecord(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 20} {
		body := bytes.Repeat([]byte("x"), size)
		x := exchange(body)
		name := "body=1KiB"
		if size == 1<<20 {
			name = "body=1MiB"
		}
		b.Run(name, func(b *testing.B) {
			buf := make([]byte, 0, 4096)
			b.ReportAllocs()
			for b.Loop() {
				var r Record
				FromExchange(&r, x, config.AuditStandard, start)
				buf = r.AppendJSON(buf[:0])
			}
		})
	}
}

// BenchmarkEncode compares the hand-written encoder with encoding/json on
// the same record.
func BenchmarkEncode(b *testing.B) {
	var r Record
	FromExchange(&r, exchange(nil), config.AuditStandard, start)
	b.Run("append", func(b *testing.B) {
		buf := make([]byte, 0, 4096)
		b.ReportAllocs()
		for b.Loop() {
			buf = r.AppendJSON(buf[:0])
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkWriterAdd is a request's whole cost of auditing: build, encode
// and queue, with the writer draining to a discarding sink.
func BenchmarkWriterAdd(b *testing.B) {
	w, err := NewWriter(Options{Sinks: []Sink{discard{}}, QueueRecords: 1 << 16, QueueBytes: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	x := exchange(bytes.Repeat([]byte("x"), 1<<20))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var r Record
			FromExchange(&r, x, config.AuditStandard, start)
			w.Add(&r)
		}
	})
	b.StopTimer()
	if err := w.Close(b.Context()); err != nil {
		b.Fatal(err)
	}
}

type discard struct{}

func (discard) Write([]byte) error          { return nil }
func (discard) Close(context.Context) error { return nil }

func TestRecordCostIsConstantInBodySize(t *testing.T) {
	allocs := func(size int) float64 {
		x := exchange(bytes.Repeat([]byte("x"), size))
		buf := make([]byte, 0, 4096)
		return testing.AllocsPerRun(100, func() {
			var r Record
			FromExchange(&r, x, config.AuditStandard, start)
			buf = r.AppendJSON(buf[:0])
		})
	}
	if small, large := allocs(1<<10), allocs(1<<20); small != large || large != 0 {
		t.Errorf("allocations per record: %v with a 1 KiB body, %v with 1 MiB; want 0 for both", small, large)
	}
}

// BenchmarkWriterFile is the sustained rate to a real file: records are
// added as fast as the writer takes them, chained, batched and written.
func BenchmarkWriterFile(b *testing.B) {
	fs, _, _, err := OpenFile(FileOptions{Path: filepath.Join(b.TempDir(), "audit.jsonl"), MaxBytes: 100 * mib})
	if err != nil {
		b.Fatal(err)
	}
	w, err := NewWriter(Options{Sinks: []Sink{fs}, QueueRecords: config.DefaultAuditQueueRecords, QueueBytes: config.DefaultAuditQueueBytes})
	if err != nil {
		b.Fatal(err)
	}
	x := exchange(nil)
	b.ReportAllocs()
	for b.Loop() {
		var r Record
		FromExchange(&r, x, config.AuditStandard, start)
		for w.Queued() >= 4000 {
			time.Sleep(10 * time.Microsecond) // the sustained rate is the writer's
		}
		w.Add(&r)
	}
	if err := w.Close(b.Context()); err != nil {
		b.Fatal(err)
	}
	if w.Dropped() > 0 {
		b.Fatalf("dropped %d records", w.Dropped())
	}
}
