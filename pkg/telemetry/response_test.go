package telemetry

import (
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestScan(t *testing.T) {
	tests := []struct {
		name   string
		stream bool
		chunks []string
		limit  int
		want   responseInfo
	}{
		{
			name:   "openai reply",
			chunks: []string{`{"id":"chatcmpl-9","model":"gpt-4o-mini","choices":[{"message":{"content":"hi there"},"finish_reason":"stop"},{"finish_reason":"length"}]}`},
			limit:  4,
			want:   responseInfo{id: "chatcmpl-9", model: "gpt-4o-mini", finish: []string{"stop", "length"}, completion: []byte("hi t")},
		},
		{
			name:   "anthropic reply",
			chunks: []string{`{"id":"msg_1","model":"claude-sonnet-4-5","content":[{"type":"text","text":"yo"}],"stop_reason":"end_turn"}`},
			limit:  100,
			want:   responseInfo{id: "msg_1", model: "claude-sonnet-4-5", finish: []string{"end_turn"}, completion: []byte("yo")},
		},
		{
			name:   "openai stream split mid-event",
			stream: true,
			chunks: []string{
				"data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"é\"}}]}\n\ndata: {\"id\":\"c1\",\"cho",
				"ices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\ndata: {\"id\":\"c1\",\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
			},
			limit: 1, // cuts "é" in half: nothing is kept rather than half a rune
			want:  responseInfo{id: "c1", model: "m", finish: []string{"stop"}},
		},
		{
			name:   "anthropic stream",
			stream: true,
			chunks: []string{
				"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\",\"model\":\"claude\"}}\n\n",
				"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"ok\"}}\n\n",
				"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\"}}\n\n",
			},
			want: responseInfo{id: "msg_2", model: "claude", finish: []string{"max_tokens"}},
		},
		{name: "not json", chunks: []string{"<html>"}, want: responseInfo{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got responseInfo
			for _, c := range tt.chunks {
				got.scan([]byte(c), tt.stream, tt.limit)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(responseInfo{})); diff != "" {
				t.Errorf("scan (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzScan(f *testing.F) {
	f.Add([]byte(`{"id":"a","choices":[{"finish_reason":"stop"}]}`), false)
	f.Add([]byte("data: {\"id\":\"c\",\"choices\":[{\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}]}\n\n"), true)
	f.Add([]byte("data: {\"delta\":{\"stop_reason\":\"end_turn\",\"text\":\"\xff\"}}\n"), true)
	f.Fuzz(func(t *testing.T, body []byte, stream bool) {
		var ri responseInfo
		for range 3 {
			ri.scan(body, stream, 16)
		}
		if len(ri.finish) > maxFinishReasons {
			t.Errorf("kept %d finish reasons, bound is %d", len(ri.finish), maxFinishReasons)
		}
		if len(ri.completion) > 16 {
			t.Errorf("captured %d bytes, bound is 16", len(ri.completion))
		}
		if !utf8.Valid(ri.completion) && utf8.ValidString(string(body)) {
			t.Errorf("captured text %q is not valid UTF-8", ri.completion)
		}
	})
}
