package tokens

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// memoBodies are requests whose messages and tools are long enough for
// the memo, in every shape a message can take.
func memoBodies(t testing.TB) map[string][]byte {
	t.Helper()
	long := escaped(corpus(120))
	png := encoded(t, "png", 1024, 1024)
	tools := `[{"type":"function","function":{"name":"get_weather","description":"Weather for a city. ` + long +
		`","parameters":{"type":"object","properties":{"city":{"type":"string","description":"The city."},` +
		`"unit":{"type":"string","enum":["c","f"]}}}}},{"type":"custom","name":"grep","description":"Search."}]`
	return map[string][]byte{
		"cookbook":     readFile(t, "testdata/cookbook_messages.json"),
		"long turns":   chatBody(t, 2000),
		"other cores":  chatBody(t, 40_000), // over parallelFrom
		"tools":        []byte(`{"messages":[{"role":"user","content":"go"}],"tool_choice":"required","tools":` + tools + `}`),
		"legacy tools": []byte(`{"messages":[{"role":"user","content":"go"}],"functions":[{"name":"f","description":"` + long + `"}]}`),
		"parts": []byte(`{"messages":[` +
			`{"role":"system","name":"house_rules","content":"` + long + `"},` +
			`{"role":"user","content":[{"type":"text","text":"` + long + `"},` +
			`{"type":"image_url","image_url":{"url":"` + png + `","detail":"high"}},` +
			`{"type":"image_url","image_url":{"url":"https://example.com/a.png"}},{"type":"refusal","refusal":"no"}]},` +
			`{"role":"assistant","content":null,"refusal":"` + long + `","tool_calls":[{"id":"c1","type":"function",` +
			`"function":{"name":"get_weather","arguments":"{\"city\":\"` + long + `\"}"}}]},` +
			`{"role":"assistant","function_call":{"name":"f","arguments":"` + long + `"}},` +
			`{"role":"tool","tool_call_id":"c1","content":"` + long + `"}]}`),
	}
}

// escaped is s as it appears between the quotes of a JSON string.
func escaped(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b[1 : len(b)-1])
}

var memoProfiles = []string{"gpt-4o", "gpt-4o-mini", "gpt-4", "gpt-4.1-mini", "claude-sonnet-4-5", "gemini-2.5-pro", "gemini-3-pro", "mistral-large"}

// TestMemo holds the memo to counting afresh: the first count of a body,
// a count from the memo, and a count of the body with one message
// changed all equal a count that does not use the memo, for every family
// and for bodies counted on one core and on several.
func TestMemo(t *testing.T) {
	for name, body := range memoBodies(t) {
		for _, model := range memoProfiles {
			t.Run(name+"/"+model, func(t *testing.T) {
				p := ForModel(model)
				for _, urlImage := range []Size{{}, {512, 512}} {
					fresh := Estimator{URLImage: urlImage, noMemo: true}
					memo := Estimator{URLImage: urlImage}
					changed := bytes.Clone(body) // one letter of the last message's text
					changed[bytes.LastIndexByte(changed, 'e')] = 'E'
					for _, b := range [][]byte{body, body, changed, changed, body} {
						want, err := fresh.EstimateChat(b, p)
						if err != nil {
							t.Fatal(err)
						}
						got, err := memo.EstimateChat(b, p)
						if err != nil {
							t.Fatal(err)
						}
						if diff := cmp.Diff(want, got); diff != "" {
							t.Fatalf("URLImage %v: memo differs from a fresh count (-fresh +memo):\n%s", urlImage, diff)
						}
					}
				}
			})
		}
	}
}

// TestMemoToolChoice: Claude's tool prompt depends on tool_choice, which
// is part of the tool list's key.
func TestMemoToolChoice(t *testing.T) {
	long := escaped(corpus(100))
	p := ForModel("claude-sonnet-4-5")
	var e Estimator
	var got [2]int
	for i, choice := range []string{`"auto"`, `"required"`} {
		body := []byte(`{"messages":[{"role":"user","content":"go"}],"tool_choice":` + choice +
			`,"tools":[{"type":"function","function":{"name":"f","description":"` + long + `"}}]}`)
		est, err := e.EstimateChat(body, p)
		if err != nil {
			t.Fatal(err)
		}
		got[i] = est.Tools
	}
	if got[0]-got[1] != anthropicToolsAuto-anthropicToolsRequired {
		t.Errorf("tools with auto and required: %d and %d, want them %d apart", got[0], got[1], anthropicToolsAuto-anthropicToolsRequired)
	}
}

// TestMemoConcurrent counts bodies that share most of their messages
// from many goroutines, under the race detector, on one core and (from
// 64 KiB) on several: every count must equal a fresh one, whatever the
// memo held when it ran.
func TestMemoConcurrent(t *testing.T) {
	for _, size := range []struct{ tokens, rounds int }{{3000, 60}, {20_000, 6}} {
		base := chatBody(t, size.tokens)
		bodies := make([][]byte, 6)
		want := make([]Estimate, len(bodies))
		p := ForModel("gpt-4o")
		fresh := Estimator{noMemo: true}
		for i := range bodies {
			bodies[i] = bytes.Replace(base, []byte(`"}]`), fmt.Appendf(nil, ` turn %d"}]`, i), 1)
			var err error
			if want[i], err = fresh.EstimateChat(bodies[i], p); err != nil {
				t.Fatal(err)
			}
		}
		var e Estimator
		concurrently(t, 8, func(g int) error {
			for k := range size.rounds {
				i := (g + k) % len(bodies)
				got, err := e.EstimateChat(bodies[i], p)
				if err != nil {
					return err
				}
				if got != want[i] {
					return errors.New("concurrent estimate differs: " + cmp.Diff(want[i], got))
				}
			}
			return nil
		})
	}
}

// TestMemoAcrossSizes: a conversation grows past 64 KiB, where its text
// is counted on several cores, and its messages must come from the memo
// as a short body on one core left them.
func TestMemoAcrossSizes(t *testing.T) {
	long := chatBody(t, 40_000)
	var msgs []json.RawMessage
	var req struct {
		Messages *[]json.RawMessage `json:"messages"`
	}
	req.Messages = &msgs
	if err := json.Unmarshal(long, &req); err != nil {
		t.Fatal(err)
	}
	short, err := json.Marshal(map[string]any{"messages": msgs[:4]})
	if err != nil {
		t.Fatal(err)
	}
	if len(short) >= parallelFrom || len(long) < parallelFrom {
		t.Fatalf("bodies of %d and %d bytes do not straddle %d", len(short), len(long), parallelFrom)
	}
	for _, model := range memoProfiles {
		p := ForModel(model)
		var e Estimator
		if _, err := e.EstimateChatFor(short, p, "across"); err != nil {
			t.Fatal(err)
		}
		got, err := e.EstimateChatFor(long, p, "across")
		if err != nil {
			t.Fatal(err)
		}
		want, err := (&Estimator{noMemo: true}).EstimateChat(long, p)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-fresh +memo):\n%s", model, diff)
		}
	}
}

// TestMemoScopes: a count remembered for one tenant is not used for
// another, and both get the same count.
func TestMemoScopes(t *testing.T) {
	long := escaped(corpus(100)) + " scopes"
	msg := `{"role":"user","content":"` + long + `"}`
	body := []byte(`{"messages":[` + msg + `]}`)
	p := ForModel("gpt-4o")
	var e Estimator
	a, err := e.EstimateChatFor(body, p, "tenant-a")
	if err != nil {
		t.Fatal(err)
	}
	rules := func(scope string) uint64 {
		r := memoRules{scope: scope, family: p.Family, enc: p.Encoding, image: p.Image, urlImage: e.URLImage}
		return r.key()
	}
	if recall(messageKey(rules("tenant-a"), chatMessage, msg)) == nil {
		t.Fatal("tenant-a's message was not remembered")
	}
	if recall(messageKey(rules("tenant-b"), chatMessage, msg)) != nil {
		t.Fatal("tenant-b finds what tenant-a sent")
	}
	b, err := e.EstimateChatFor(body, p, "tenant-b")
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("tenant-a counted %+v, tenant-b %+v", a, b)
	}
}

// TestMemoMessages is TestMemo for Anthropic bodies: the system prompt,
// each turn and the tools come from the memo exactly as a fresh count
// gives them, documents counted by size included.
func TestMemoMessages(t *testing.T) {
	long := escaped(corpus(120))
	png := encoded(t, "png", 640, 480)
	pngData := png[strings.IndexByte(png, ',')+1:]
	var turns []string
	for i := range 40 {
		role := "user"
		if i%2 == 1 {
			role = "assistant"
		}
		turns = append(turns, `{"role":"`+role+`","content":"`+escaped(corpus(600))+fmt.Sprint(i)+`"}`)
	}
	bodies := map[string]string{
		"blocks": `{"system":[{"type":"text","text":"` + long + `"}],"tool_choice":{"type":"tool","name":"f"},` +
			`"tools":[{"name":"f","description":"` + long + `","input_schema":{"type":"object","properties":{"q":{"type":"string"}}}}],` +
			`"messages":[{"role":"user","content":[{"type":"text","text":"` + long + `"},` +
			`{"type":"image","source":{"type":"base64","media_type":"image/png","data":"` + pngData + `"}},` +
			`{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"` + strings.Repeat("JVBERi0x", 64) + `"}}]},` +
			`{"role":"assistant","content":[{"type":"thinking","thinking":"` + long + `"},{"type":"tool_use","id":"t","name":"f","input":{"q":"` + long + `"}}]},` +
			`{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"` + long + `"}]}]}`,
		"system string": `{"system":"` + long + `","messages":[{"role":"user","content":"` + long + `"}]}`,
		"other cores":   `{"system":"` + long + `","messages":[` + strings.Join(turns, ",") + `]}`,
	}
	for name, body := range bodies {
		for _, model := range memoProfiles {
			t.Run(name+"/"+model, func(t *testing.T) {
				p := ForModel(model)
				fresh, memo := Estimator{noMemo: true}, Estimator{}
				changed := []byte(body) // one letter of the last turn's text
				changed[strings.LastIndexByte(body, 'e')] = 'E'
				for _, b := range [][]byte{[]byte(body), []byte(body), changed, changed, []byte(body)} {
					want, err := fresh.EstimateMessagesFor(b, p, "")
					if err != nil {
						t.Fatal(err)
					}
					got, err := memo.EstimateMessagesFor(b, p, "")
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Fatalf("memo differs from a fresh count (-fresh +memo):\n%s", diff)
					}
				}
			})
		}
	}
}

// TestMemoCapacity measures how much of a working set of distinct
// messages stays in the memo when they are used in turn: a direct-mapped
// table of n slots keeps about e^(-m/n) of m live messages. It logs the
// rates README.md quotes and checks them against that expectation.
func TestMemoCapacity(t *testing.T) {
	p := ForModel("gpt-4o")
	var e Estimator
	rules := memoRules{scope: "capacity", family: p.Family, enc: p.Encoding, image: p.Image}
	for _, live := range []int{1000, 4000, 16_000} {
		msgs := make([][]byte, live)
		for i := range msgs {
			msgs[i] = fmt.Appendf(nil, `{"messages":[{"role":"user","content":"message %d of a working set, long enough to be remembered"}]}`, i)
		}
		count := func(b []byte) {
			if _, err := e.EstimateChatFor(b, p, "capacity"); err != nil {
				t.Fatal(err)
			}
		}
		for _, b := range msgs { // fill
			count(b)
		}
		hits := 0
		for _, b := range msgs { // a second pass, in the same order
			raw := b[len(`{"messages":[`) : len(b)-2]
			if recall(messageKey(rules.key(), chatMessage, string(raw))) != nil {
				hits++
			}
			count(b)
		}
		got, want := float64(hits)/float64(live), math.Exp(-float64(live)/(1<<memoBits))
		t.Logf("%d live messages: %.0f%% remembered (e^(-m/n) = %.0f%%)", live, 100*got, 100*want)
		if math.Abs(got-want) > 0.05 {
			t.Errorf("%d live messages: %.2f remembered, want about %.2f", live, got, want)
		}
	}
}
