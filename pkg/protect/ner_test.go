package protect

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pii"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// fakeAnalyzer answers like Presidio: every occurrence of name as a
// PERSON, in code points.
func fakeAnalyzer(t *testing.T, name string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Text string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		var out []map[string]any
		for off := 0; ; {
			i := strings.Index(req.Text[off:], name)
			if i < 0 {
				break
			}
			start := utf8.RuneCountInString(req.Text[:off+i])
			out = append(out, map[string]any{"entity_type": "PERSON", "start": start,
				"end": start + utf8.RuneCountInString(name), "score": 0.85})
			off += i + len(name)
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestPresidioFindingsJoinTheScanner(t *testing.T) {
	srv := fakeAnalyzer(t, "Zoë Brandt")
	s, snap := newState(t, "  actions: {PERSON: pseudonymize}\n  presidio: {url: \""+srv.URL+"\"}\n")
	body := `{"model":"gpt-4o","messages":[{"role":"system","content":"Zoë Brandt runs support."},` +
		`{"role":"user","content":"Ask Zoë Brandt at ` + email + `"}]}`
	x := exchange(snap, pipeline.APIChat, body, "acme")
	if err := run(t, s, x, nil); err != nil {
		t.Fatal(err)
	}
	if got := userText(t, x); got != "Ask <PERSON_1> at alice@example.com" {
		t.Errorf("upstream %q", got)
	}
	if got := x.Protect.Findings; len(got) != 2 || got[1].Type != "PERSON" || got[1].Count != 2 {
		t.Errorf("findings %+v", got)
	}
}

func TestPresidioFailsClosed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }))
	t.Cleanup(srv.Close)
	s, snap := newState(t, "  presidio: {url: \""+srv.URL+"\"}\n")
	err := run(t, s, exchange(snap, pipeline.APIChat, chat("hi"), "acme"), nil)
	var e *gwerror.Error
	if !errors.As(err, &e) || e.HTTPStatus() != 503 {
		t.Fatalf("err = %v, want a 503", err)
	}
}

func TestMergeFindings(t *testing.T) {
	a := []pii.Finding{{Type: "EMAIL_ADDRESS", Start: 10, End: 20}}
	b := []pii.Finding{{Type: "PERSON", Start: 0, End: 5}, {Type: "URL", Start: 12, End: 25}, {Type: "PERSON", Start: 3, End: 8}, {Type: "LOCATION", Start: 30, End: 35}}
	got := mergeFindings(nil, a, b)
	want := []string{"PERSON@0", "EMAIL_ADDRESS@10", "LOCATION@30"}
	var names []string
	for _, f := range got {
		names = append(names, f.Type+"@"+strconv.Itoa(f.Start))
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("merged %v, want %v", names, want)
	}
}
