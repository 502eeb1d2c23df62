package tokens

import (
	"testing"
)

// FuzzEstimateChat feeds arbitrary bodies to every family's estimator:
// it must never panic, and a count it returns must add up.
func FuzzEstimateChat(f *testing.F) {
	f.Add([]byte(`{"messages":[{"role":"user","content":"hi"}]}`))
	f.Add([]byte(`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="}}]}]}`))
	f.Add([]byte(`{"messages":[],"tools":[{"type":"function","function":{"name":"f","parameters":{"properties":{"a":{"type":["string","null"],"enum":[1,"x"],"items":{}}}}}}]}`))
	profiles := []Profile{ForModel("gpt-4o"), ForModel("gpt-4"), ForModel("gpt-4.1-mini"),
		ForModel("claude-sonnet-4-5"), ForModel("gemini-2.5-pro"), ForModel("mistral-large")}
	var e Estimator
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, p := range profiles {
			est, err := e.EstimateChat(body, p)
			if err != nil {
				continue
			}
			if est.Text < 0 || est.Images < 0 || est.Tokens != est.Text+est.Framing+est.Tools+est.Images {
				t.Fatalf("%s: inconsistent estimate %+v", p.Prefix, est)
			}
		}
	})
}
