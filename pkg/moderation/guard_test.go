package moderation

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func chatAnswer(content string) string {
	b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"message": map[string]any{"role": "assistant", "content": content}}}})
	return string(b)
}

func TestGuardCheck(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		delay    time.Duration
		prompt   string
		failOpen bool
		want     Verdict
		wantErr  bool
	}{
		{"safe", 200, chatAnswer("\n\nsafe"), 0, "", false, Verdict{}, false},
		{"unsafe with categories", 200, chatAnswer("unsafe\nS10,S1"), 0, "", false, Verdict{Flagged: true, Categories: []string{"S1", "S10"}}, false},
		{"unsafe with a system prompt", 200, chatAnswer("**Unsafe**\nviolence, hate"), 0, ClassifierPrompt, false,
			Verdict{Flagged: true, Categories: []string{"hate", "violence"}}, false},
		{"rambling answer", 200, chatAnswer("I think this is fine"), 0, "", false, Verdict{}, true},
		{"no choices", 200, `{"choices":[]}`, 0, "", false, Verdict{}, true},
		{"null content", 200, `{"choices":[{"message":{"content":null}}]}`, 0, "", false, Verdict{}, true},
		{"malformed", 200, `{"choices":`, 0, "", true, Verdict{Skipped: true}, false},
		{"server error", 500, ``, 0, "", false, Verdict{}, true},
		{"timeout", 200, chatAnswer("safe"), time.Second, "", true, Verdict{Skipped: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeService{status: tt.status, body: tt.body, delay: tt.delay}
			g, err := NewGuard(GuardConfig{
				HTTP:   HTTP{Endpoint: f.start(t), Timeout: 100 * time.Millisecond, FailOpen: tt.failOpen},
				Model:  "llama-guard-3",
				Prompt: tt.prompt,
			})
			if err != nil {
				t.Fatal(err)
			}
			got, err := g.Check(context.Background(), secretText)
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ErrUnavailable)) {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("verdict (-want +got):\n%s", diff)
			}
			if tt.delay > 0 {
				return
			}
			var req chatRequest
			if err := json.Unmarshal(*f.lastB.Load(), &req); err != nil {
				t.Fatal(err)
			}
			want := []chatMessage{{Role: "user", Content: secretText}}
			if tt.prompt != "" {
				want = append([]chatMessage{{Role: "system", Content: tt.prompt}}, want...)
			}
			if f.last.Load().URL.Path != "/v1/chat/completions" || req.Model != "llama-guard-3" || !cmp.Equal(want, req.Messages) {
				t.Errorf("request %s %+v", f.last.Load().URL.Path, req)
			}
		})
	}
}

func TestParseGuardAnswer(t *testing.T) {
	tests := []struct {
		answer  string
		want    Verdict
		wantErr bool
	}{
		{"safe", Verdict{}, false},
		{"  SAFE.\n", Verdict{}, false},
		{"unsafe", Verdict{Flagged: true}, false},
		{"unsafe\nS1", Verdict{Flagged: true, Categories: []string{"S1"}}, false},
		{"unsafe\nS2,S2, S14", Verdict{Flagged: true, Categories: []string{"S14", "S2"}}, false},
		{"`unsafe` O3", Verdict{Flagged: true, Categories: []string{"O3"}}, false},
		{"", Verdict{}, true},
		{"unsure", Verdict{}, true},
		{"the text is unsafe", Verdict{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.answer, func(t *testing.T) {
			got, err := parseGuardAnswer(tt.answer)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
