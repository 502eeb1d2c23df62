package tokens

import (
	"strings"
	"testing"
)

// FuzzEstimateChat feeds arbitrary bodies to every family's estimator:
// it must never panic, a count it returns must add up, and the memo
// must not change it.
func FuzzEstimateChat(f *testing.F) {
	f.Add([]byte(`{"messages":[{"role":"user","content":"hi"}]}`))
	f.Add([]byte(`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="}}]}]}`))
	f.Add([]byte(`{"messages":[],"tools":[{"type":"function","function":{"name":"f","parameters":{"properties":{"a":{"type":["string","null"],"enum":[1,"x"],"items":{}}}}}}]}`))
	long := strings.Repeat("a long turn, long enough for the memo; ", 8)
	f.Add([]byte(`{"messages":[{"role":"user","name":"n","content":[{"type":"text","text":"` + long + `"}]},` +
		`{"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":"` + long + `"}}]}],` +
		`"tools":[{"type":"function","function":{"name":"f","description":"` + long + `"}}]}`))
	profiles := []Profile{ForModel("gpt-4o"), ForModel("gpt-4"), ForModel("gpt-4.1-mini"),
		ForModel("claude-sonnet-4-5"), ForModel("gemini-2.5-pro"), ForModel("mistral-large")}
	var e Estimator
	fresh := Estimator{noMemo: true}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, p := range profiles {
			est, err := e.EstimateChat(body, p)
			if err != nil {
				continue
			}
			if est.Text < 0 || est.Images < 0 || est.Tokens != est.Text+est.Framing+est.Tools+est.Images {
				t.Fatalf("%s: inconsistent estimate %+v", p.Prefix, est)
			}
			if want, _ := fresh.EstimateChat(body, p); est != want {
				t.Fatalf("%s: the memo's estimate %+v, a fresh count %+v", p.Prefix, est, want)
			}
		}
	})
}

// FuzzEstimateMessages is FuzzEstimateChat for Anthropic bodies.
func FuzzEstimateMessages(f *testing.F) {
	long := strings.Repeat("a long turn, long enough for the memo; ", 8)
	f.Add([]byte(`{"system":"be brief","messages":[{"role":"user","content":"hi"}]}`))
	f.Add([]byte(`{"system":[{"type":"text","text":"` + long + `"}],"tool_choice":{"type":"any"},` +
		`"tools":[{"name":"f","description":"` + long + `","input_schema":{"type":"object","properties":{"q":{"type":"string"}}}}],` +
		`"messages":[{"role":"user","content":[{"type":"text","text":"` + long + `"},` +
		`{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="}},` +
		`{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0x"}}]},` +
		`{"role":"assistant","content":[{"type":"thinking","thinking":"hm"},{"type":"tool_use","id":"t","name":"f","input":{"q":"x"}}]},` +
		`{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"` + long + `"}]}]}]}`))
	profiles := []Profile{ForModel("gpt-4o"), ForModel("gpt-4"), ForModel("claude-sonnet-4-5"),
		ForModel("gemini-2.5-pro"), ForModel("mistral-large")}
	var e Estimator
	fresh := Estimator{noMemo: true}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, p := range profiles {
			est, err := e.EstimateMessagesFor(body, p, "")
			if err != nil {
				continue
			}
			if est.Text < 0 || est.Images < 0 || est.Tokens != est.Text+est.Framing+est.Tools+est.Images {
				t.Fatalf("%s: inconsistent estimate %+v", p.Prefix, est)
			}
			if want, _ := fresh.EstimateMessagesFor(body, p, ""); est != want {
				t.Fatalf("%s: the memo's estimate %+v, a fresh count %+v", p.Prefix, est, want)
			}
		}
	})
}
