package openai

import (
	"strings"
	"testing"

	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// TestStreamPassesWholeEventsThrough checks that a chunk of whole events
// the client may see as they are comes back as the very same slice, so
// Envoy is not sent a copy, and that every other chunk gets the bytes the
// client must see instead.
func TestStreamPassesWholeEventsThrough(t *testing.T) {
	const (
		role  = "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}],\"usage\":null}\n\n"
		usage = "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":5}}\n\n"
		done  = "data: [DONE]\n\n"
	)
	tests := []struct {
		name         string
		includeUsage bool // the client asked for usage: nothing is hidden
		chunks       []string
		same         []bool // whether each chunk must come back as the same slice
		want         string // everything the client gets
	}{
		{"whole events", true, []string{role, usage, done}, []bool{true, true, true}, role + usage + done},
		{"two events in one chunk", true, []string{role + usage, done}, []bool{true, true}, role + usage + done},
		{"an event split across chunks", true, []string{role[:20], role[20:] + usage, done}, []bool{false, false, true}, role + usage + done},
		{"hidden usage", false, []string{role, usage, done}, []bool{false, false, true},
			strings.Replace(role, `,"usage":null`, "", 1) + done},
		{"CRLF framing is normalised", true, []string{strings.ReplaceAll(role, "\n", "\r\n"), done}, []bool{false, true}, role + done},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(translate.OpenAI).Stream(&translate.Request{Stream: true, IncludeUsage: tt.includeUsage})
			var got []byte
			for i, c := range tt.chunks {
				in := []byte(c)
				out, err := s.Feed(in, i == len(tt.chunks)-1)
				if err != nil {
					t.Fatalf("chunk %d: %v", i, err)
				}
				if same := pipeline.SameBytes(out, in); same != tt.same[i] {
					t.Errorf("chunk %d: same slice %v, want %v", i, same, tt.same[i])
				}
				got = append(got, out...)
			}
			if string(got) != tt.want {
				t.Errorf("client got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
