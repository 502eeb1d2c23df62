package scan

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/presidio"
)

// TestRunWithPresidio adds an analyzer's PERSON to the built-in findings,
// with offsets converted to code points like the rest, and turns an
// analyzer failure (failing closed) into an error line.
func TestRunWithPresidio(t *testing.T) {
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		// "Zoë Müller" at code points 6 to 16 of the text below.
		_, _ = w.Write([]byte(`[{"entity_type":"PERSON","start":6,"end":16,"score":0.85}]`))
	}))
	defer srv.Close()
	client, err := presidio.New(presidio.Config{Endpoint: srv.URL, Timeout: time.Second, BreakerFailures: 100})
	if err != nil {
		t.Fatal(err)
	}
	s := newScanner(t, Options{Presidio: client, NoInjection: true})
	var out strings.Builder
	in := `{"text":"Grüß, Zoë Müller: zoe@example.com"}`
	if err := s.Run(context.Background(), strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	want := `{"findings":[{"type":"PERSON","start":6,"end":16,"score":0.85},{"type":"EMAIL_ADDRESS","start":18,"end":33,"score":0.9}]}` + "\n"
	if out.String() != want {
		t.Errorf("got  %s\nwant %s", out.String(), want)
	}

	down.Store(true)
	out.Reset()
	if err := s.Run(context.Background(), strings.NewReader(in+"\n"+in), &out); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), `{"error":"presidio: presidio analyzer unavailable: status 500"}`); got != 2 {
		t.Errorf("got %s", out.String())
	}
}
