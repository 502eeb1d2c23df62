package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	fp "github.com/sluice-gw/sluice/e2e/fakeprovider"
)

// What the fake analyzer recognises, and the texts that make it fail.
var (
	presidioPeople = []string{"Alice Martin", "Bruno Keller"}
	presidioPlaces = []string{"Lyon", "Zürich"}
)

const (
	// analyzerFails gets a 500 from the fake analyzer.
	analyzerFails = "analyzer-status-500"
	// analyzerStalls is answered only after Sluice's analyzer timeout.
	analyzerStalls = "analyzer-stall"
	// analyzerTimeout is data_protection.presidio.timeout.
	analyzerTimeout = 250 * time.Millisecond
)

// presidioFake is a Presidio analyzer: POST /analyze answers PERSON and
// LOCATION for the fixed names and places above, with offsets in Unicode
// code points as Presidio (Python) counts them, and records every text it
// was asked about.
type presidioFake struct {
	*httptest.Server
	mu    sync.Mutex
	texts []string
}

type presidioAnalyzeRequest struct {
	Text     string   `json:"text"`
	Language string   `json:"language"`
	Entities []string `json:"entities"`
}

type presidioResult struct {
	EntityType string  `json:"entity_type"`
	Start      int     `json:"start"`
	End        int     `json:"end"`
	Score      float64 `json:"score"`
}

func newPresidioFake(t *testing.T) *presidioFake {
	t.Helper()
	p := &presidioFake{}
	p.Server = httptest.NewServer(http.HandlerFunc(p.analyze))
	t.Cleanup(p.Close)
	return p
}

func (p *presidioFake) analyze(w http.ResponseWriter, r *http.Request) {
	var req presidioAnalyzeRequest
	if r.Method != http.MethodPost || r.URL.Path != "/analyze" || json.NewDecoder(r.Body).Decode(&req) != nil ||
		req.Language != "en" || !slices.Equal(req.Entities, []string{"PERSON", "LOCATION"}) {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.texts = append(p.texts, req.Text)
	p.mu.Unlock()
	switch {
	case strings.Contains(req.Text, analyzerFails):
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	case strings.Contains(req.Text, analyzerStalls):
		select {
		case <-time.After(10 * analyzerTimeout):
		case <-r.Context().Done():
			return
		}
	}
	results := []presidioResult{}
	for _, e := range []struct {
		typ    string
		values []string
		score  float64
	}{{"PERSON", presidioPeople, 0.85}, {"LOCATION", presidioPlaces, 0.8}} {
		for _, v := range e.values {
			for at := 0; ; at += len(v) {
				i := strings.Index(req.Text[at:], v)
				if i < 0 {
					break
				}
				at += i
				start := utf8.RuneCountInString(req.Text[:at])
				results = append(results, presidioResult{e.typ, start, start + utf8.RuneCountInString(v), e.score})
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(results)
}

// textsWith are the texts the analyzer was asked about that contain s.
func (p *presidioFake) textsWith(s string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, text := range p.texts {
		if strings.Contains(text, s) {
			out = append(out, text)
		}
	}
	return out
}

// presidioEnv starts an environment whose data protection asks a fake
// analyzer for PERSON (pseudonymized) and LOCATION (masked), masks e-mail
// addresses with the built-in scanner, and runs the reference policy with
// a decision log.
func presidioEnv(t *testing.T, failureMode string) (*env, *presidioFake) {
	t.Helper()
	analyzer := newPresidioFake(t)
	e := newEnv(t, withDecisionLog(), withConfig(configOptions{
		policy: policyAt(realPolicyDir(), nil),
		sections: map[string]any{"data_protection": map[string]any{
			"actions": map[string]any{"PERSON": "pseudonymize", "LOCATION": "mask", "EMAIL_ADDRESS": "mask"},
			"presidio": map[string]any{
				"url": analyzer.URL, "timeout": analyzerTimeout.String(), "failure_mode": failureMode,
				"entities": []any{"PERSON", "LOCATION"},
			},
		}},
	}))
	return e, analyzer
}

// Names and places found by the analyzer are replaced before the provider
// sees them, names come back in the answer, and the policy is told the
// types but never the values.
func TestPresidio(t *testing.T) {
	t.Parallel()
	e, analyzer := presidioEnv(t, "closed")

	t.Run("every field, one call", func(t *testing.T) {
		t.Parallel()
		marker := newMarker()
		// Accents, curly quotes and an emoji before each entity: byte and
		// code-point offsets differ everywhere.
		system := "Zoë’s travel desk 🧳 works for Bruno Keller."
		first := "Réservez pour Alice Martin à Lyon, s’il vous plaît."
		asked := "Which dates for Alice Martin?"
		last := "Ünïcödé 🙂: Alice Martin and Bruno Keller fly from Lyon to Zürich, mail " + protectEmail + " " + marker
		r := e.post(t, "/v1/chat/completions", chatMessages(t, "gpt-4o",
			map[string]any{"role": "system", "content": system}, user(first),
			map[string]any{"role": "assistant", "content": asked}, user(last)))
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}

		up := e.upstream(t, fp.BackendOpenAI, marker).Body
		var sent struct{ Messages []struct{ Content string } }
		if err := json.Unmarshal(up, &sent); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range sent.Messages {
			got = append(got, m.Content)
		}
		want := []string{
			"Zoë’s travel desk 🧳 works for <PERSON_1>.",
			"Réservez pour <PERSON_2> à <LOCATION>, s’il vous plaît.",
			"Which dates for <PERSON_2>?",
			"Ünïcödé 🙂: <PERSON_2> and <PERSON_1> fly from <LOCATION> to <LOCATION>, mail <EMAIL_ADDRESS> " + marker,
		}
		if !slices.Equal(got, want) {
			t.Errorf("the provider got\n%q\nwant\n%q", got, want)
		}

		texts := analyzer.textsWith(marker)
		if len(texts) != 1 {
			t.Fatalf("the analyzer was asked %d times about the request, want once", len(texts))
		}
		for _, field := range []string{system, first, asked, last} {
			if n := strings.Count(texts[0], field); n != 1 {
				t.Errorf("the analyzer saw %q %d times, want once", field, n)
			}
		}

		d := e.decision(t, r.header.Get(decisionHeader))
		jsonEqual(t, "input.findings.pii", d.Get("input.findings.pii").Raw,
			`{"types":["EMAIL_ADDRESS","LOCATION","PERSON"],"count":9}`)
		wantExcerpt := "Ünïcödé 🙂: <PERSON> and <PERSON> fly from <LOCATION> to <LOCATION>, mail <EMAIL_ADDRESS> " + marker
		if got := d.Get("input.request.last_user_message").Str; got != wantExcerpt {
			t.Errorf("the policy saw last_user_message %q, want %q", got, wantExcerpt)
		}
	})

	// The echoing fake repeats the placeholders; the client gets the names
	// back, while the masked place stays masked.
	for _, model := range []string{"gpt-4o", "claude"} {
		t.Run("restored/"+model, func(t *testing.T) {
			t.Parallel()
			for _, stream := range []bool{false, true} {
				marker := newMarker()
				say := "Grüße an Alice Martin in Lyon " + marker
				body := mustJSON(t, map[string]any{"model": model, "stream": stream, "max_tokens": 64,
					"messages": []any{user(say)}})
				r := e.post(t, "/v1/chat/completions", body, fp.ReplyHeader, "echo")
				if r.status != 200 {
					t.Fatalf("stream %v: status %d: %s", stream, r.status, r.body)
				}
				backend := map[string]string{"gpt-4o": fp.BackendOpenAI, "claude": fp.BackendAnthropic}[model]
				up := string(e.upstream(t, backend, marker).Body)
				if strings.Contains(up, "Alice") || strings.Contains(up, "Lyon") ||
					!strings.Contains(up, "Grüße an <PERSON_1> in <LOCATION> ") {
					t.Errorf("stream %v: the provider got %s", stream, up)
				}
				if got, want := answerText(t, r.body, stream), "Grüße an Alice Martin in <LOCATION> "+marker; got != want {
					t.Errorf("stream %v: the client got %q, want %q", stream, got, want)
				}
				if n := len(analyzer.textsWith(marker)); n != 1 {
					t.Errorf("stream %v: the analyzer was asked %d times, want once", stream, n)
				}
			}
		})
	}
}

// An analyzer that fails or stalls refuses the request when failing
// closed, and lets it through with only the built-in findings when
// failing open. Neither leaks the analyzer's error or the text.
func TestPresidioUnavailable(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"closed", "open"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			e, analyzer := presidioEnv(t, mode)
			for _, fault := range []string{analyzerFails, analyzerStalls} {
				t.Run(fault, func(t *testing.T) {
					t.Parallel()
					marker := newMarker()
					say := "Alice Martin, " + protectEmail + ", " + fault + " " + marker
					r := e.post(t, "/v1/chat/completions", chatMessages(t, "gpt-4o", user(say)))
					if len(analyzer.textsWith(marker)) != 1 {
						t.Errorf("the analyzer was asked %d times, want once", len(analyzer.textsWith(marker)))
					}
					if mode == "closed" {
						checkAnalyzerRefusal(t, e, r, marker)
						return
					}
					if r.status != 200 {
						t.Fatalf("status %d: %s", r.status, r.body)
					}
					want := "Alice Martin, <EMAIL_ADDRESS>, " + fault + " " + marker
					if got := upstreamUser(t, e.upstream(t, fp.BackendOpenAI, marker).Body); got != want {
						t.Errorf("the provider got %q, want %q", got, want)
					}
					jsonEqual(t, "input.findings.pii", e.decision(t, r.header.Get(decisionHeader)).Get("input.findings.pii").Raw,
						`{"types":["EMAIL_ADDRESS"],"count":1}`)
				})
			}
		})
	}
}

// checkAnalyzerRefusal asserts the documented answer to an unavailable
// analyzer: 503 upstream_unavailable in OpenAI's shape, naming neither the
// text nor the cause, with nothing sent upstream.
func checkAnalyzerRefusal(t *testing.T, e *env, r rawResponse, marker string) {
	t.Helper()
	got := checkOpenAIError(t, r, http.StatusServiceUnavailable)
	if got.Get("code").Str != "upstream_unavailable" {
		t.Errorf("error %s, want code upstream_unavailable", got.Raw)
	}
	body := strings.ToLower(string(r.body))
	for _, leak := range []string{"alice", "example.com", marker, "presidio", "status 500", "deadline", "timeout", "127.0.0.1"} {
		if strings.Contains(body, strings.ToLower(leak)) {
			t.Errorf("the error names %q: %s", leak, r.body)
		}
	}
	e.noUpstream(t, marker)
}
