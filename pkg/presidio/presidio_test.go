package presidio

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/pii"
)

// fakeAnalyzer answers /analyze with answer(request text), the way
// Presidio does: offsets in code points.
type fakeAnalyzer struct {
	status int
	answer func(req analyzeRequest) string
	delay  time.Duration
	calls  atomic.Int32
	req    atomic.Pointer[analyzeRequest]
	auth   atomic.Pointer[string]
}

func (f *fakeAnalyzer) start(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		var req analyzeRequest
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/analyze" || json.Unmarshal(b, &req) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		auth := r.Header.Get("Authorization")
		f.req.Store(&req)
		f.auth.Store(&auth)
		if f.delay > 0 {
			select {
			case <-time.After(f.delay):
			case <-r.Context().Done():
				return
			}
		}
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, f.answer(req))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// entity answers with one entity found by code-point search, as Python's
// str.find would.
func entity(typ, value string, score float64) func(analyzeRequest) string {
	return func(req analyzeRequest) string {
		i := strings.Index(req.Text, value)
		if i < 0 {
			return "[]"
		}
		start := len([]rune(req.Text[:i]))
		b, _ := json.Marshal([]map[string]any{{
			"entity_type": typ, "start": start, "end": start + len([]rune(value)), "score": score,
			"analysis_explanation": nil, "recognition_metadata": map[string]any{"recognizer_name": "SpacyRecognizer"},
		}})
		return string(b)
	}
}

func fixed(body string) func(analyzeRequest) string {
	return func(analyzeRequest) string { return body }
}

func TestAnalyze(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		status   int
		answer   func(analyzeRequest) string
		delay    time.Duration
		failOpen bool
		want     []pii.Finding
		wantErr  bool
	}{
		{"ascii", "Call John Smith today", 200, entity("PERSON", "John Smith", 0.85), 0, false,
			[]pii.Finding{{Type: "PERSON", Start: 5, End: 15, Score: 0.85}}, false},
		{"non-ASCII before the entity", "Grüße an Zoë Müller aus Köln 🙂", 200, entity("PERSON", "Zoë Müller", 0.9), 0, false,
			[]pii.Finding{{Type: "PERSON", Start: 11, End: 23, Score: 0.9}}, false},
		{"astral plane before the entity", "🙂🙂 Paris", 200, entity("LOCATION", "Paris", 0.7), 0, false,
			[]pii.Finding{{Type: "LOCATION", Start: 9, End: 14, Score: 0.7}}, false},
		{"invalid UTF-8 counts one point a byte", "\xff\xfe Berlin", 200, entity("LOCATION", "Berlin", 0.8), 0, false,
			[]pii.Finding{{Type: "LOCATION", Start: 3, End: 9, Score: 0.8}}, false},
		{"types not asked for are dropped", "mail a@b.co", 200,
			fixed(`[{"entity_type":"EMAIL_ADDRESS","start":5,"end":11,"score":1.0}]`), 0, false, []pii.Finding{}, false},
		{"offsets past the text are dropped", "Bob", 200,
			fixed(`[{"entity_type":"PERSON","start":0,"end":40,"score":0.9},{"entity_type":"PERSON","start":2,"end":1,"score":0.9}]`), 0, false,
			[]pii.Finding{}, false},
		{"overlaps keep the higher score", "Paris Hilton", 200,
			fixed(`[{"entity_type":"LOCATION","start":0,"end":5,"score":0.6},{"entity_type":"PERSON","start":0,"end":12,"score":0.85}]`), 0, false,
			[]pii.Finding{{Type: "PERSON", Start: 0, End: 12, Score: 0.85}}, false},
		{"nothing found", "hello", 200, fixed(`[]`), 0, false, []pii.Finding{}, false},
		{"server error fails closed", "x", 500, fixed(`Internal Server Error`), 0, false, nil, true},
		{"server error fails open", "x", 500, fixed(``), 0, true, []pii.Finding{}, false},
		{"timeout fails closed", "x", 200, fixed(`[]`), time.Second, false, nil, true},
		{"timeout fails open", "x", 200, fixed(`[]`), time.Second, true, []pii.Finding{}, false},
		{"garbage JSON", "x", 200, fixed(`{"entity_type":`), 0, false, nil, true},
		{"object instead of array", "x", 200, fixed(`{"error":"No text provided"}`), 0, false, nil, true},
		{"missing offsets", "x", 200, fixed(`[{"entity_type":"PERSON","score":0.9}]`), 0, false, nil, true},
		{"body over the bound", "x", 200, fixed(`[` + strings.Repeat(`{"entity_type":"PERSON","start":0,"end":1,"score":0.9},`, 100) + `]`), 0, false, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAnalyzer{status: tt.status, answer: tt.answer, delay: tt.delay}
			c, err := New(Config{Endpoint: f.start(t), APIKey: "k", Entities: []string{"PERSON", "LOCATION"},
				Timeout: 100 * time.Millisecond, MaxResponseBytes: 2048, FailOpen: tt.failOpen})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Analyze(context.Background(), []pii.Finding{}, []byte(tt.text))
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ErrUnavailable)) {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("findings (-want +got):\n%s", diff)
				}
			}
			for _, g := range got {
				if !strings.Contains(tt.text, tt.text[g.Start:g.End]) {
					t.Errorf("finding %+v is not a slice of the text", g)
				}
			}
			if tt.failOpen && c.Stats().Skipped != 1 {
				t.Errorf("stats %+v, want one skip", c.Stats())
			}
			if tt.delay == 0 {
				req := f.req.Load()
				if req.Language != "en" || !cmp.Equal(req.Entities, []string{"PERSON", "LOCATION"}) || *f.auth.Load() != "Bearer k" {
					t.Errorf("request %+v, auth %q", req, *f.auth.Load())
				}
			}
		})
	}
}

func TestAnalyzeSlicesMatchEntities(t *testing.T) {
	f := &fakeAnalyzer{status: 200, answer: entity("PERSON", "Zoë Müller", 0.9)}
	c, err := New(Config{Endpoint: f.start(t)})
	if err != nil {
		t.Fatal(err)
	}
	text := []byte("日本語 und Zoë Müller")
	got, err := c.Analyze(context.Background(), nil, text)
	if err != nil || len(got) != 1 || string(text[got[0].Start:got[0].End]) != "Zoë Müller" {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestAnalyzeEveryType(t *testing.T) {
	f := &fakeAnalyzer{status: 200, answer: fixed(`[{"entity_type":"EMAIL_ADDRESS","start":0,"end":6,"score":1},
		{"entity_type":"<script>","start":7,"end":8,"score":1},{"entity_type":"NRP","start":9,"end":14,"score":0.4}]`)}
	c, err := New(Config{Endpoint: f.start(t), ScoreThreshold: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Analyze(context.Background(), nil, []byte("a@b.co x German"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]pii.Finding{{Type: "EMAIL_ADDRESS", Start: 0, End: 6, Score: 1}}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if req := f.req.Load(); req.Entities != nil || req.ScoreThreshold != 0.5 {
		t.Errorf("request %+v, want no entities and the threshold", req)
	}
}

func TestBreaker(t *testing.T) {
	f := &fakeAnalyzer{status: 502, answer: fixed("")}
	c, err := New(Config{Endpoint: f.start(t), BreakerFailures: 2, BreakerCooldown: time.Hour, FailOpen: true})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := c.Analyze(context.Background(), nil, []byte("x")); err != nil {
			t.Fatalf("failing open: %v", err)
		}
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("analyzer called %d times, want 2 before the breaker opens", n)
	}
	if st := c.Stats(); st != (Stats{Calls: 5, Errors: 5, Skipped: 5}) {
		t.Errorf("stats = %+v", st)
	}
}

func TestCallerCancelled(t *testing.T) {
	f := &fakeAnalyzer{status: 200, answer: fixed("[]"), delay: time.Second}
	c, err := New(Config{Endpoint: f.start(t), FailOpen: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Analyze(ctx, nil, []byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the caller's cancellation even failing open", err)
	}
}

func TestNewRejects(t *testing.T) {
	for _, cfg := range []Config{
		{Endpoint: ""},
		{Endpoint: "presidio:3000"},
		{Endpoint: "http://presidio:3000", ScoreThreshold: 1.5},
		{Endpoint: "http://presidio:3000", Entities: []string{""}},
		{Endpoint: "http://presidio:3000", Entities: []string{"person"}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func TestBlankTextIsNotSent(t *testing.T) {
	f := &fakeAnalyzer{status: 500, answer: fixed("")}
	c, err := New(Config{Endpoint: f.start(t)})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Analyze(context.Background(), nil, []byte(" \n\t")); err != nil || got != nil || f.calls.Load() != 0 {
		t.Errorf("got %v, %v after %d calls", got, err, f.calls.Load())
	}
}
