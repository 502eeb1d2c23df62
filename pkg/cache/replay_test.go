package cache

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/translate"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o600); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, d)
	}
}

var usage = translate.Usage{InputTokens: 12, OutputTokens: 7}

// streams are chunk streams as the route stage hands them on.
var streams = map[string]string{
	"text": `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-2024","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-2024","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":"Hello <EMAIL_ADDRESS_1>"},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-2024","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":", \"quoted\" é"},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-2024","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}

data: [DONE]

`,
	"tools": `data: {"id":"chatcmpl-2","object":"chat.completion.chunk","created":1700000001,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"lookup","arguments":""}}]},"finish_reason":null}]}

data: {"id":"chatcmpl-2","object":"chat.completion.chunk","created":1700000001,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"email\":\"<EMAIL_"}}]},"finish_reason":null}]}

data: {"id":"chatcmpl-2","object":"chat.completion.chunk","created":1700000001,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ADDRESS_1>\"}"}},{"index":1,"id":"call_b","type":"function","function":{"name":"now","arguments":"{}"}}]},"finish_reason":null}]}

data: {"id":"chatcmpl-2","object":"chat.completion.chunk","created":1700000001,"model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}

data: {"id":"chatcmpl-2","object":"chat.completion.chunk","created":1700000001,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}}

data: [DONE]

`,
}

func TestAssembleAndReplay(t *testing.T) {
	for name, stream := range streams {
		t.Run(name, func(t *testing.T) {
			// Chunk boundaries anywhere: feed a byte at a time.
			a := newAssembler(1 << 20)
			for i := range len(stream) {
				a.feed([]byte{stream[i]})
			}
			body, err := a.completion(usage)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".completion.json", indent(t, body))
			replay := Replay(body, usage, true)
			golden(t, name+".replay.sse", replay)
			// A replay adds up to the same completion.
			b := newAssembler(1 << 20)
			b.feed(replay)
			again, err := b.completion(usage)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(string(indent(t, body)), string(indent(t, again))); d != "" {
				t.Errorf("replay does not add up to the stored completion:\n%s", d)
			}
			if noUsage := Replay(body, usage, false); bytes.Contains(noUsage, []byte(`"usage"`)) {
				t.Errorf("replay without include_usage carries usage")
			}
		})
	}
}

func indent(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

func TestAssemblerRefuses(t *testing.T) {
	chunk := func(delta, finish string) string {
		return `data: {"id":"c","choices":[{"index":0,"delta":` + delta + `,"finish_reason":` + finish + "}]}\n\n"
	}
	for _, tc := range []struct {
		name, stream string
		want         error
	}{
		{"no done", chunk(`{"content":"a"}`, `"stop"`), errIncomplete},
		{"no finish", chunk(`{"content":"a"}`, "null") + "data: [DONE]\n\n", errIncomplete},
		{"filtered", chunk(`{"content":"a"}`, `"content_filter"`) + "data: [DONE]\n\n", errFiltered},
		{"error event", chunk(`{"content":"a"}`, "null") + `data: {"error":{"message":"upstream reset"}}` + "\n\ndata: [DONE]\n\n", errStreamError},
		{"logprobs", `data: {"id":"c","choices":[{"index":0,"delta":{"content":"a"},"logprobs":{"content":[]},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n", errUnsupported},
		{"garbage", "data: {nope\n\ndata: [DONE]\n\n", errBadChunk},
		{"too large", chunk(`{"content":"`+strings.Repeat("a", 600)+`"}`, `"stop"`) + "data: [DONE]\n\n", errTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAssembler(512)
			a.feed([]byte(tc.stream))
			if _, err := a.completion(usage); err != tc.want { //nolint:errorlint // sentinel identity
				t.Errorf("completion error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestStorable(t *testing.T) {
	for body, want := range map[string]error{
		`{"object":"chat.completion","choices":[{"index":0,"message":{"content":"a"},"finish_reason":"stop"}]}`:           nil,
		`{"object":"chat.completion","choices":[{"index":0,"message":{"content":"a"},"finish_reason":"content_filter"}]}`: errFiltered,
		`{"object":"chat.completion","choices":[{"index":0,"message":{"content":"a"}}]}`:                                  errIncomplete,
		`{"object":"chat.completion","choices":[]}`:                                                                       errBadChunk,
		`not json`: errBadChunk,
	} {
		if got := storable([]byte(body)); got != want { //nolint:errorlint // sentinel identity
			t.Errorf("storable(%s) = %v, want %v", body, got, want)
		}
	}
}

func TestRestore(t *testing.T) {
	ps := map[string]string{"<EMAIL_ADDRESS_1>": `bob"q@example.com`, "<PERSON_1>": "Bob"}
	body := []byte(`{"choices":[{"index":0,"message":{"role":"assistant","content":"Hi <PERSON_1>, mail <EMAIL_ADDRESS_1>; <EMAIL_ADDRESS_2> stays","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"to\":\"<EMAIL_ADDRESS_1>\"}"}}]},"finish_reason":"stop"}]}`)
	got := Restore(body, ps)
	golden(t, "restore.json", indent(t, got))
	if string(Restore(body, nil)) != string(body) {
		t.Errorf("Restore without pseudonyms changed the body")
	}
}

func FuzzAssembler(f *testing.F) {
	for _, s := range streams {
		f.Add([]byte(s))
	}
	f.Add([]byte("data: [DONE]\n\n"))
	f.Fuzz(func(t *testing.T, stream []byte) {
		a := newAssembler(1 << 16)
		a.feed(stream)
		body, err := a.completion(usage)
		if err != nil {
			return
		}
		if !json.Valid(body) {
			t.Fatalf("assembled completion is not JSON: %s", body)
		}
		replay := Replay(Restore(body, map[string]string{"<A>": "\"x\""}), usage, true)
		b := newAssembler(1 << 20)
		b.feed(replay)
		if _, err := b.completion(usage); err != nil {
			t.Fatalf("replay of an assembled completion does not assemble: %v\n%s", err, replay)
		}
	})
}
