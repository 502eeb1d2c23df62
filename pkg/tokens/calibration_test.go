package tokens

import (
	"math"
	"testing"
)

// Counts the providers published for these requests: Anthropic's
// count_tokens examples (claude-sonnet-4-5) and the Gemini cookbook's
// countTokens examples (gemini-1.5-flash). Their tokenizers are not
// public, so these are the only ground truth available offline; each
// estimate must be within the family's documented Bound, and the test
// logs the error so README.md's table can be checked against it.
var calibration = []struct {
	name  string
	model string
	body  string
	want  int
}{
	{"anthropic system and message", "claude-sonnet-4-5",
		`{"messages":[{"role":"system","content":"You are a scientist"},{"role":"user","content":"Hello, Claude"}]}`, 14},
	{"anthropic tool", "claude-sonnet-4-5",
		`{"messages":[{"role":"user","content":"What's the weather like in San Francisco?"}],"tools":[{"type":"function",` +
			`"function":{"name":"get_weather","description":"Get the current weather in a given location","parameters":` +
			`{"type":"object","properties":{"location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"}},` +
			`"required":["location"]}}}]}`, 403},
	{"gemini one message", "gemini-1.5-flash",
		`{"messages":[{"role":"user","content":"The quick brown fox jumps over the lazy dog."}]}`, 10},
	{"gemini two turns", "gemini-1.5-flash",
		`{"messages":[{"role":"user","content":"Hi my name is Bob"},{"role":"assistant","content":"Hi Bob!"}]}`, 10},
	{"gemini three turns", "gemini-1.5-flash",
		`{"messages":[{"role":"user","content":"Hi my name is Bob"},{"role":"assistant","content":"Hi Bob!"},` +
			`{"role":"user","content":"What is the meaning of life?"}]}`, 17},
}

func TestCalibration(t *testing.T) {
	var e Estimator
	for _, c := range calibration {
		t.Run(c.name, func(t *testing.T) {
			p := ForModel(c.model)
			got, err := e.EstimateChat([]byte(c.body), p)
			if err != nil {
				t.Fatal(err)
			}
			rel := float64(got.Tokens-c.want) / float64(c.want)
			t.Logf("%s: estimated %d, provider counted %d, error %+.1f%% (bound ±%.0f%%)",
				c.model, got.Tokens, c.want, 100*rel, 100*p.Bound)
			if math.Abs(rel) > p.Bound {
				t.Errorf("error %+.1f%% exceeds the documented bound ±%.0f%%", 100*rel, 100*p.Bound)
			}
		})
	}
}
