package tokens

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// chatBody builds a chat request of about n o200k tokens: a system
// prompt and alternating turns cut from the corpus.
func chatBody(tb testing.TB, n int) []byte {
	tb.Helper()
	text := corpus(n)
	type message struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	msgs := []message{{"system", "You are a careful assistant. Answer from the documents."}}
	const turns = 24
	step := len(text) / turns
	for i := 0; i < turns; i++ {
		end := min(len(text), (i+1)*step)
		if i == turns-1 {
			end = len(text)
		}
		role := "user"
		if i%2 == 1 {
			role = "assistant"
		}
		msgs = append(msgs, message{role, strings.ToValidUTF8(text[i*step:end], "")})
	}
	body, err := json.Marshal(map[string]any{"model": "gpt-4o", "messages": msgs})
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

// BenchmarkEstimate100k is the cost an estimate adds to a request with a
// 100k-token prompt none of which was counted before; next-turn is the
// same conversation's next request, whose history the memo holds.
func BenchmarkEstimate100k(b *testing.B) {
	body := chatBody(b, 100_000)
	for _, model := range []string{"gpt-4o", "gpt-4", "claude-sonnet-4-5"} {
		p := ForModel(model)
		e := Estimator{noMemo: true}
		est, err := e.EstimateChat(body, p) // loads the encoding
		if err != nil {
			b.Fatal(err)
		}
		b.Run(model, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := e.EstimateChat(body, p); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(est.Tokens), "tokens")
		})
	}
	b.Run("gpt-4o/next-turn", func(b *testing.B) {
		benchNewTurns(b, body, ForModel("gpt-4o"))
	})
	b.Run("gpt-4o/repeated", func(b *testing.B) {
		var e Estimator
		p := ForModel("gpt-4o")
		if _, err := e.EstimateChat(body, p); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := e.EstimateChat(body, p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchNewTurns counts body with a last message no count has seen
// before, as each turn of a conversation sends, and the rest as it was.
func benchNewTurns(b *testing.B, body []byte, p Profile) {
	// The last message gains a counter, rewritten in place each time.
	i := bytes.LastIndex(body, []byte(`"}]`))
	turn := append(append(bytes.Clone(body[:i]), " turn 000000000"...), body[i:]...)
	digits := turn[i+len(" turn ") : i+len(" turn 000000000")]
	var e Estimator
	if _, err := e.EstimateChat(turn, p); err != nil { // the history, as the previous turn left it
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(turn)))
	n := 0
	for b.Loop() {
		n++
		for k, v := len(digits)-1, n; k >= 0; k, v = k-1, v/10 {
			digits[k] = byte('0' + v%10)
		}
		if _, err := e.EstimateChat(turn, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCountText100k(b *testing.B) {
	text := corpus(100_000)
	for _, enc := range []Encoding{O200k, CL100k} {
		n, err := enc.Count(text)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(enc.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = enc.Count(text)
			}
			b.ReportMetric(float64(n), "tokens")
		})
	}
}

// BenchmarkReference100k is tiktoken-go on the same text, for comparison.
func BenchmarkReference100k(b *testing.B) {
	text := corpus(100_000)
	tk := reference()[O200k]
	b.ReportAllocs()
	for b.Loop() {
		_ = len(tk.EncodeOrdinary(text))
	}
}

func BenchmarkNeeded(b *testing.B) {
	body := chatBody(b, 100_000)
	p := ForModel("gpt-4o")
	b.ReportAllocs()
	for b.Loop() {
		_ = Needed(body, p, 128_000)
	}
}

// BenchmarkEstimateShort is a typical chat call, counted on every
// request a token limit applies to: four turns in 2 KB of body, two of
// them long enough for the piece cache.
func BenchmarkEstimateShort(b *testing.B) {
	prose := corpus(600)
	body, err := json.Marshal(map[string]any{
		"model": "gpt-4o-mini", "temperature": 0.2, "max_tokens": 512, "user": "u-0042",
		"messages": []map[string]string{
			{"role": "system", "content": "You are a concise assistant for an engineering team. Answer in plain prose."},
			{"role": "user", "content": "How does an external processor see a request?"},
			{"role": "assistant", "content": strings.ToValidUTF8(prose[:400], "")},
			{"role": "user", "content": strings.ToValidUTF8(prose[400:1800], "")},
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	p := ForModel("gpt-4o-mini")
	// new: no message counted before, without the memo and with it (a
	// scope it has not seen each time, so it pays for remembering what it
	// counts); repeated: every message was counted before (the body make
	// bench sends each time); next-turn: the history was.
	b.Run("new/memo", func(b *testing.B) {
		scopes := make([]string, 1<<16)
		for i := range scopes {
			scopes[i] = strconv.Itoa(i)
		}
		var e Estimator
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		n := 0
		for b.Loop() {
			n++
			if _, err := e.EstimateChatFor(body, p, scopes[n%len(scopes)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, c := range []struct {
		name string
		e    Estimator
	}{{"new", Estimator{noMemo: true}}, {"repeated", Estimator{}}} {
		b.Run(c.name, func(b *testing.B) {
			if _, err := c.e.EstimateChat(body, p); err != nil { // loads the encoding
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := c.e.EstimateChat(body, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("next-turn", func(b *testing.B) { benchNewTurns(b, body, p) })
}

// BenchmarkEstimateManyShort is a 100 KB body of 2,500 short messages:
// too short to remember or to hand to the other cores one by one.
func BenchmarkEstimateManyShort(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"messages":[`)
	for i := range 2500 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"role":"user","content":"w` + strconv.Itoa(i) + ` ok go"}`)
	}
	sb.WriteString(`]}`)
	body := []byte(sb.String())
	var e Estimator
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.EstimateChatFor(body, ForModel("gpt-4o"), "t"); err != nil {
			b.Fatal(err)
		}
	}
}
