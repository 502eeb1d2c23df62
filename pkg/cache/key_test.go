package cache

import (
	"testing"
)

func TestComputeKeyCanonical(t *testing.T) {
	base := `{"model":"gpt-4o","temperature":0,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi é"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"}}}}}]}`
	scope := Scope{Tenant: "acme", Model: "gpt-4o", Backend: "openai", Upstream: "gpt-4o-2024"}
	want := ComputeKey(scope, []byte(base)).Exact
	same := map[string]string{
		"reordered":   `{"messages":[{"content":"be brief","role":"system"},{"role":"user","content":"hi é"}],"tools":[{"function":{"parameters":{"properties":{"a":{"type":"string"}},"type":"object"},"name":"f"},"type":"function"}],"temperature":0,"model":"gpt-4o"}`,
		"whitespace":  "{ \"model\" : \"gpt-4o\",\n\t\"temperature\": 0 , \"messages\":[ {\"role\":\"system\",\"content\":\"be brief\"}, {\"role\":\"user\",\"content\":\"hi é\"} ],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}}}}] }",
		"escaped":     `{"model":"gpt-4o","temperature":0,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi \u00e9"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"}}}}}]}`,
		"float zero":  `{"model":"gpt-4o","temperature":0.0,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi é"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"}}}}}]}`,
		"alias model": `{"model":"gpt4o","temperature":0,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi é"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"}}}}}]}`,
		"bookkeeping": `{"model":"gpt-4o","user":"u1","metadata":{"a":"b"},"store":true,"stream":true,"stream_options":{"include_usage":true},"temperature":0,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi é"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"}}}}}]}`,
	}
	for name, body := range same {
		t.Run(name, func(t *testing.T) {
			if got := ComputeKey(scope, []byte(body)).Exact; got != want {
				t.Errorf("key differs from the base request's")
			}
		})
	}
	differ := map[string]string{
		"message":           `{"model":"gpt-4o","temperature":0,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi!"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"}}}}}]}`,
		"temperature":       `{"model":"gpt-4o","temperature":0.2,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi é"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"}}}}}]}`,
		"seed":              `{"model":"gpt-4o","seed":1,"temperature":0,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi é"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"}}}}}]}`,
		"max_tokens":        `{"model":"gpt-4o","max_tokens":5,"temperature":0,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi é"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"}}}}}]}`,
		"tools":             `{"model":"gpt-4o","temperature":0,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi é"}]}`,
		"order of messages": `{"model":"gpt-4o","temperature":0,"messages":[{"role":"user","content":"hi é"},{"role":"system","content":"be brief"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"}}}}}]}`,
		"string not number": `{"model":"gpt-4o","temperature":"0","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi é"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"}}}}}]}`,
	}
	for name, body := range differ {
		t.Run(name, func(t *testing.T) {
			if got := ComputeKey(scope, []byte(body)).Exact; got == want {
				t.Errorf("key equals the base request's")
			}
		})
	}
	for name, s := range map[string]Scope{
		"tenant":   {Tenant: "other", Model: "gpt-4o", Backend: "openai", Upstream: "gpt-4o-2024"},
		"backend":  {Tenant: "acme", Model: "gpt-4o", Backend: "azure", Upstream: "gpt-4o-2024"},
		"upstream": {Tenant: "acme", Model: "gpt-4o", Backend: "openai", Upstream: "gpt-4o"},
		"framing":  {Tenant: "acmegpt-4o", Model: "", Backend: "openai", Upstream: "gpt-4o-2024"},
	} {
		t.Run("scope "+name, func(t *testing.T) {
			if got := ComputeKey(s, []byte(base)).Exact; got == want {
				t.Errorf("key equals the base scope's")
			}
		})
	}
}

func TestComputeKeyReadsTemperatureAndLastUser(t *testing.T) {
	for _, tc := range []struct {
		body     string
		set      bool
		temp     float64
		lastUser int
	}{
		{`{"messages":[{"role":"user","content":"a"}]}`, false, 0, 0},
		{`{"temperature":0,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"}]}`, true, 0, 2},
		{`{"temperature":0.7,"messages":[{"role":"system","content":"a"}]}`, true, 0.7, -1},
		{`{"temperature":null,"messages":"x"}`, false, 0, -1},
	} {
		k := ComputeKey(Scope{}, []byte(tc.body))
		if k.TemperatureSet != tc.set || k.Temperature != tc.temp || k.LastUser != tc.lastUser {
			t.Errorf("%s: got set=%v temp=%v last=%d, want %v %v %d", tc.body, k.TemperatureSet, k.Temperature, k.LastUser, tc.set, tc.temp, tc.lastUser)
		}
	}
}

func TestSemanticScope(t *testing.T) {
	s := Scope{Tenant: "acme", Model: "m"}
	a := `{"model":"m","temperature":0,"messages":[{"role":"system","content":"sys"},{"role":"user","content":"What is the capital of France?"}]}`
	b := `{"messages":[{"role":"system","content":"sys"},{"content":"capital of France?","role":"user"}],"temperature":0,"model":"m"}`
	c := `{"model":"m","temperature":0,"messages":[{"role":"system","content":"other"},{"role":"user","content":"What is the capital of France?"}]}`
	sa, ta, ok := SemanticScope(s, []byte(a))
	if !ok || ta != "What is the capital of France?" {
		t.Fatalf("SemanticScope(a) = %q, %v", ta, ok)
	}
	sb, tb, _ := SemanticScope(s, []byte(b))
	if sa != sb || tb != "capital of France?" {
		t.Errorf("scopes of requests differing only in the last user text differ")
	}
	if sc, _, _ := SemanticScope(s, []byte(c)); sc == sa {
		t.Errorf("scopes of requests with different system prompts agree")
	}
	if sa == ComputeKey(s, []byte(a)).Exact {
		t.Errorf("semantic scope equals the exact key")
	}
	for _, body := range []string{
		`{"messages":[{"role":"system","content":"x"}]}`,
		`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`,
		`{"messages":[{"role":"user","content":""}]}`,
	} {
		if _, _, ok := SemanticScope(s, []byte(body)); ok {
			t.Errorf("SemanticScope(%s) ok, want not", body)
		}
	}
	if _, text, ok := SemanticScope(s, []byte(`{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]}`)); !ok || text != "a\nb" {
		t.Errorf("text parts: %q %v", text, ok)
	}
}

func FuzzComputeKey(f *testing.F) {
	f.Add([]byte(`{"model":"m","temperature":0,"messages":[{"role":"user","content":"hi"}]}`))
	f.Add([]byte(`{"a":[1,2.5e3,-0,true,null,{"b":"\u00e9"}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		k := ComputeKey(Scope{Tenant: "t"}, body)
		if len(k.Exact) != 64 {
			t.Fatalf("key %q is not hex SHA-256", k.Exact)
		}
		if k2 := ComputeKey(Scope{Tenant: "t"}, body); k2 != k {
			t.Fatalf("key is not deterministic")
		}
		_, _, _ = SemanticScope(Scope{}, body)
	})
}
