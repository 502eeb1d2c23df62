package guard

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/sse"
)

// eventsOf lists a stream's events as name and type (or [DONE]).
func eventsOf(t *testing.T, out []byte) []string {
	t.Helper()
	var names []string
	var p sse.Parser
	if err := p.Feed(out, func(ev sse.Event) error {
		d := gjson.ParseBytes(ev.Data)
		switch {
		case string(ev.Data) == "[DONE]":
			names = append(names, "[DONE]")
		case d.Get("error.code").Exists() && len(ev.Name) == 0:
			names = append(names, "error:"+d.Get("error.code").Str)
		case d.Get("choices.0.finish_reason").Type == gjson.String:
			names = append(names, "finish:"+d.Get("choices.0.finish_reason").Str)
		case d.Get("choices").Exists():
			names = append(names, "chunk")
		default:
			names = append(names, string(ev.Name)+":"+d.Get("delta.stop_reason").String())
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return names
}

func TestStopShapes(t *testing.T) {
	block := &config.Guardrails{CanaryAction: "block", Banned: []config.GuardrailBanned{{Name: "leak", Phrases: []string{"internal only"}, Action: "block"}}}
	schema := &config.Guardrails{CanaryAction: "block", JSONSchemaAction: "block"}
	tests := []struct {
		name  string
		s     setup
		wire  []byte
		after []byte // sent after the stop; must be dropped
		want  string
	}{
		{"openai", setup{stream: true, guardrails: block}, chunkStream([]string{"ok. ", "internal only"}, "stop"), chunkStream([]string{"more"}, "stop"),
			"chunk chunk finish:content_filter error:content_filter [DONE]"},
		{"openai schema at the end", setup{stream: true, guardrails: schema, request: personSchema},
			chunkStream([]string{`{"name":`, `"Ana"}`}, "stop"), nil,
			"chunk chunk chunk finish:content_filter error:content_filter [DONE]"},
		{"openai schema kept", setup{stream: true, guardrails: schema, request: personSchema},
			chunkStream([]string{`{"name":`, `"Ana","age":4}`}, "stop"), nil,
			"chunk chunk chunk finish:stop [DONE]"},
		{"anthropic", setup{stream: true, anthropic: true, guardrails: block}, messagesStream([]string{"ok. ", "internal only"}), messagesStream([]string{"x"}),
			"message_start: content_block_start: content_block_delta: content_block_stop: message_delta:refusal error: message_stop:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			outs, x := run(t, tt.s, [][]byte{tt.wire, tt.after})
			if got := strings.Join(eventsOf(t, bytes.Join(outs, nil)), " "); got != tt.want {
				t.Errorf("events\n got: %s\nwant: %s", got, tt.want)
			}
			if x.Outcome.Error != string(ContentFilter) && strings.Contains(tt.want, "error") {
				t.Errorf("Outcome.Error = %q", x.Outcome.Error)
			}
		})
	}
}

// TestReloadCompilesConfig loads the documented example through the
// config package and compiles it as a reload does.
func TestReloadCompilesConfig(t *testing.T) {
	src, err := os.ReadFile("../config/testdata/valid/guardrails.yaml")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := config.Parse("guardrails.yaml", src, config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := quietStage().Reload(context.Background(), snap); err != nil {
		t.Fatalf("reload: %v", err)
	}
}
