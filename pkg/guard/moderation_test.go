package guard

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/config"
)

// fakeModeration flags any input containing "attack" (category violence)
// and sleeps on inputs containing "slow".
type fakeModeration struct {
	mu     sync.Mutex
	inputs []string
}

func (f *fakeModeration) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct{ Input string }
	_ = json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	f.inputs = append(f.inputs, req.Input)
	f.mu.Unlock()
	if strings.Contains(req.Input, "slow") {
		time.Sleep(300 * time.Millisecond)
	}
	flagged := strings.Contains(req.Input, "attack")
	_ = json.NewEncoder(w).Encode(map[string]any{"results": []any{map[string]any{
		"flagged": flagged, "categories": map[string]bool{"violence": flagged}, "category_scores": map[string]float64{"violence": 0.9},
	}}})
}

func TestModeration(t *testing.T) {
	fake := &fakeModeration{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	mod := func(window int, failOpen bool) *config.Guardrails {
		return &config.Guardrails{CanaryAction: "block", Moderation: &config.GuardrailModeration{
			Kind: config.ModerationOpenAI, Endpoint: srv.URL + "/v1", Timeout: 100 * time.Millisecond,
			FailOpen: failOpen, StreamWindowBytes: window,
		}}
	}
	atEnd, windowed, open, closed := mod(0, false), mod(16, false), mod(0, true), mod(0, false)
	tests := []struct {
		name    string
		g       *config.Guardrails
		text    string
		blocked bool
	}{
		{"clean, at the end", atEnd, "a calm answer about tea", false},
		{"flagged, at the end", atEnd, "how to attack the castle", true},
		{"clean, in windows", windowed, "a calm answer about tea and biscuits", false},
		{"flagged, in windows", windowed, "a calm answer, then: attack!", true},
		{"timeout, failing open", open, "a slow answer", false},
		{"timeout, failing closed", closed, "a slow answer", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, stream := range []bool{false, true} {
				s := setup{guardrails: tt.g, stream: stream, pseudonyms: pseudonymMap}
				var v seen
				if stream {
					outs, _ := run(t, s, [][]byte{chunkStream(runeGroups(tt.text, 3), "stop")})
					v = clientView(t, bytes.Join(outs, nil))
				} else {
					outs, _ := run(t, s, [][]byte{[]byte(completion(tt.text, ""))})
					v = bodyView(outs[0])
				}
				filtered := len(v.finish) > 0 && v.finish[len(v.finish)-1] == "content_filter"
				if filtered != tt.blocked {
					t.Errorf("stream %v: finish %v, want blocked %v", stream, v.finish, tt.blocked)
				}
				if !tt.blocked && v.content != tt.text {
					t.Errorf("stream %v: client read %q", stream, v.content)
				}
			}
		})
	}
}

// TestModerationWindowHoldsBack checks that in window mode no text reaches
// the client before the window it is in has been checked.
func TestModerationWindowHoldsBack(t *testing.T) {
	fake := &fakeModeration{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	g := &config.Guardrails{CanaryAction: "block", Moderation: &config.GuardrailModeration{
		Kind: config.ModerationOpenAI, Endpoint: srv.URL + "/v1", StreamWindowBytes: 20,
	}}
	text := "first part is fine. then attack now"
	outs, _ := run(t, setup{guardrails: g, stream: true}, [][]byte{chunkStream(runeGroups(text, 2), "stop")})
	v := clientView(t, bytes.Join(outs, nil))
	if strings.Contains(v.content, "attack") || !strings.HasPrefix(text, v.content) {
		t.Errorf("released %q before it was moderated", v.content)
	}
	if v.errCode != string(ContentFilter) {
		t.Errorf("error code %q, want content_filter", v.errCode)
	}
}

func bodyView(out []byte) seen {
	var v seen
	var c struct {
		Choices []struct {
			Message      struct{ Content string }
			FinishReason string `json:"finish_reason"`
		}
	}
	_ = json.Unmarshal(out, &c)
	for _, ch := range c.Choices {
		v.content += ch.Message.Content
		v.finish = append(v.finish, ch.FinishReason)
	}
	return v
}
