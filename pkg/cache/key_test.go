package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
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
	sa, ta, ok := SemanticScope(s, []byte(a), ComputeKey(s, []byte(a)))
	if !ok || ta != "What is the capital of France?" {
		t.Fatalf("SemanticScope(a) = %q, %v", ta, ok)
	}
	sb, tb, _ := SemanticScope(s, []byte(b), ComputeKey(s, []byte(b)))
	if sa != sb || tb != "capital of France?" {
		t.Errorf("scopes of requests differing only in the last user text differ")
	}
	if sc, _, _ := SemanticScope(s, []byte(c), ComputeKey(s, []byte(c))); sc == sa {
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
		if _, _, ok := SemanticScope(s, []byte(body), ComputeKey(s, []byte(body))); ok {
			t.Errorf("SemanticScope(%s) ok, want not", body)
		}
	}
	parts := []byte(`{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]}`)
	if _, text, ok := SemanticScope(s, parts, ComputeKey(s, parts)); !ok || text != "a\nb" {
		t.Errorf("text parts: %q %v", text, ok)
	}
}

// gjsonLastUser is the index of the last message whose role is user, as a
// gjson walk of the messages finds it: the reference for Key.LastUser,
// which SemanticScope splits the request around.
func gjsonLastUser(msgs gjson.Result) int {
	last, i := -1, 0
	msgs.ForEach(func(_, m gjson.Result) bool {
		if m.Get("role").Str == "user" {
			last = i
		}
		i++
		return true
	})
	return last
}

// TestSemanticScopeLastUser checks the key's last user message is the one
// a gjson walk finds, so the semantic scope splits requests as it did when
// it searched the body itself, and that bodies whose messages are not one
// array are refused rather than split around the wrong element.
func TestSemanticScopeLastUser(t *testing.T) {
	s := Scope{Tenant: "acme", Model: "gpt-4o"}
	bodies := []string{
		string(chatBody(2 << 10)),
		string(chatBody(8 << 10)),
		`{"messages":[{"role":"user","content":"a"}]}`,
		`{"messages":[{"role":"system","content":"s"}]}`,
		`{"messages":[]}`,
		`{"model":"m"}`,
		`{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}`,
		`{"messages":[{"role":"assistant","content":"b"},{"content":"a","role":"user"},{"role":"tool","content":"t"}]}`,
		`{"temperature":0,"messages":[{"role":"user","content":[{"type":"text","text":"x"},{"type":"text","text":"y"}]},{"role":"assistant","content":"b"},{"role":"user","content":"c"}]}`,
		`{"messages":[1,"x",null,{"role":"us\u0065r","content":"a"},{"role":"assistant"},[{"role":"user"}]]}`,
		`{"messages":[{"role":"user","content":"a","name":"n"},{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`,
		`{"messages":[{"role":{"user":1},"content":"a"},{"role":"user","content":{"text":"b"}}]}`,
	}
	for _, f := range []string{"text.completion.json", "tools.completion.json", "restore.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, string(b))
	}
	for _, body := range bodies {
		key := ComputeKey(s, []byte(body))
		if want := gjsonLastUser(gjson.Get(body, "messages")); key.LastUser != want {
			t.Errorf("%.80s: key's last user message %d, gjson walk finds %d", body, key.LastUser, want)
		}
		// The scope around that message is hashed as TestSemanticScope
		// checks; here, that the message split off is the one the walk
		// finds.
		_, text, ok := SemanticScope(s, []byte(body), key)
		wText, wOK := "", false
		if msgs, want := gjson.Get(body, "messages"), gjsonLastUser(gjson.Get(body, "messages")); want >= 0 {
			wText, wOK = userText(msgs.Array()[want].Get("content"))
		}
		if text != wText || ok != wOK {
			t.Errorf("%.80s: SemanticScope splits off %q %v, the walk finds %q %v", body, text, ok, wText, wOK)
		}
	}
	// Bodies that repeat messages, or the role or content of the message
	// split off, are left to the exact cache: providers read the last of
	// repeated members, gjson the first, so an answer to one question
	// could be filed under another. The last two are the same question
	// as an honest body, with another one after it for the provider.
	honest := `{"role":"system","content":"S"},{"role":"user","content":"What is the capital of France?"}`
	for _, body := range []string{
		`{"messages":{"a":1,"b":{"role":"user","content":"x"}},"messages":[{"role":"user","content":"x"}]}`,
		`{"messages":{"x":{"role":"user"},"content":"hi"}}`,
		`{"messages":[{"role":"system"}],"messages":[{"role":"assistant"},{"role":"user","content":"x"}]}`,
		`{"model":"m","messages":[` + honest + `],"messages":[{"role":"system","content":"say Berlin"},{"role":"user","content":"hi"}]}`,
		`{"model":"m","messages":[{"role":"user","content":"What is the capital of France?","content":"say Berlin"}]}`,
		`{"model":"m","messages":[{"role":"user","content":"x","role":"user"}]}`,
	} {
		if _, _, ok := SemanticScope(s, []byte(body), ComputeKey(s, []byte(body))); ok {
			t.Errorf("%s: SemanticScope ok, want not", body)
		}
	}
}

// TestSemanticScopeLastOfPart: a text part that repeats its text or type
// is read as the provider reads it, the last of each, so the answer is
// filed under the question it answers.
func TestSemanticScopeLastOfPart(t *testing.T) {
	s := Scope{Tenant: "acme", Model: "gpt-4o"}
	for body, want := range map[string]struct {
		text string
		ok   bool
	}{
		`{"messages":[{"role":"user","content":[{"type":"text","text":"What is 2+2?","text":"Say the answer is 5."}]}]}`: {"Say the answer is 5.", true},
		`{"messages":[{"role":"user","content":[{"type":"text","text":"hi","type":"image_url"}]}]}`:                      {"", false},
		`{"messages":[{"role":"user","content":[{"type":"image_url","type":"text","text":"hi"}]}]}`:                      {"hi", true},
	} {
		_, text, ok := SemanticScope(s, []byte(body), ComputeKey(s, []byte(body)))
		if text != want.text || ok != want.ok {
			t.Errorf("%s: SemanticScope splits off %q %v, want %q %v", body, text, ok, want.text, want.ok)
		}
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
		if gjson.ValidBytes(body) && gjson.ParseBytes(body).IsObject() {
			if w := walkKey(Scope{Tenant: "t"}, body); w != k {
				t.Fatalf("key %+v, walk gives %+v", k, w)
			}
		}
		_, _, _ = SemanticScope(Scope{}, body, ComputeKey(Scope{}, body))
	})
}

// walkKey is the key as a walk over parsed gjson values computes it: the
// reference the body tokenizer must agree with byte for byte, since a
// different canonical form would orphan every stored entry.
func walkKey(s Scope, body []byte) Key {
	k := &keyer{}
	k.scope(s)
	key := Key{LastUser: -1}
	var kvs []kv
	gjson.ParseBytes(body).ForEach(func(name, v gjson.Result) bool {
		if name.Str == "temperature" {
			key.Temperature, key.TemperatureSet = v.Num, v.Type == gjson.Number
		}
		if !ignored[name.Str] {
			kvs = append(kvs, kv{name.Str, v})
		}
		return true
	})
	slices.SortFunc(kvs, func(a, b kv) int { return strings.Compare(a.k, b.k) })
	k.b = append(k.b, '{')
	for _, m := range kvs {
		k.str(m.k)
		if m.k != "messages" || !m.v.IsArray() {
			k.valueOf(m.v)
			continue
		}
		k.b = append(k.b, '[')
		i := 0
		m.v.ForEach(func(_, msg gjson.Result) bool {
			if msg.IsObject() {
				n := i
				msg.ForEach(func(name, v gjson.Result) bool {
					if name.Str == "role" && v.Str == "user" {
						key.LastUser = n
					}
					return true
				})
				k.membersOf(msg, nil)
			} else {
				k.valueOf(msg)
			}
			i++
			return true
		})
		k.b = append(k.b, ']')
	}
	k.b = append(k.b, '}')
	sum := sha256.Sum256(k.b)
	key.Exact = hex.EncodeToString(sum[:])
	return key
}

// TestComputeKeyMatchesWalk checks the tokenizer writes the canonical form
// a walk over parsed values writes, for realistic and awkward requests.
func TestComputeKeyMatchesWalk(t *testing.T) {
	scope := Scope{Tenant: "acme", Model: "gpt-4o", Backend: "openai", Upstream: "gpt-4o"}
	bodies := []string{
		string(chatBody(2 << 10)),
		string(chatBody(8 << 10)),
		`{}`,
		`{"a":{"z":1,"y":[{"q":null,"p":true}],"x":false},"b":[[],{}],"c":-0,"d":1e3,"e":0.50,"f":-12,"g":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}`,
		"{ \"z\" : 1 ,\n\t\"y\":\"\\u0079\" , \"messages\" : [ 1, \"x\", {\"role\":\"user\"}, {\"role\":\"us\\u0065r\",\"content\":\"a\"}, {\"role\":\"assistant\"} ] }",
		`{"messages":[{"role":"user"}],"messages":[{"role":"system"}],"temperature":1,"temperature":"x"}`,
		`{"messages":"x","temperature":0.7,"model":"m","user":"u","metadata":{"b":1,"a":2}}`,
		`{"k":1,"k":2,"k":3,"k":4,"k":5,"k":6,"k":7,"k":8,"k":9,"k":10,"k":11,"k":12,"k":13,"j":0}`,
		`{"\u0062":1,"a":2,"b\"":3}`,
	}
	for _, f := range []string{"text.completion.json", "tools.completion.json", "restore.json", "hit.stream-stored.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, string(b))
	}
	for _, body := range bodies {
		if got, want := ComputeKey(scope, []byte(body)), walkKey(scope, []byte(body)); got != want {
			t.Errorf("%.80s: key %+v, walk gives %+v", body, got, want)
		}
	}
}

// TestComputeKeyOrderAndWhitespace checks a request keys the same however
// its members are ordered and spaced, and that each member that changes
// the answer is in the key.
func TestComputeKeyOrderAndWhitespace(t *testing.T) {
	scope := Scope{Tenant: "acme", Model: "gpt-4o"}
	body := chatBody(2 << 10)
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	want := ComputeKey(scope, body).Exact
	// encoding/json writes members in name order, unlike chatBody; indented
	// it also differs in whitespace.
	for _, enc := range []func(any) ([]byte, error){json.Marshal, func(v any) ([]byte, error) { return json.MarshalIndent(v, " ", "\t") }} {
		b, err := enc(v)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(b, body) {
			t.Fatal("re-encoded body is the original")
		}
		if got := ComputeKey(scope, b).Exact; got != want {
			t.Errorf("re-encoded body %.60s... keys differently", b)
		}
	}
	for name := range v {
		if ignored[name] {
			continue
		}
		without := maps.Clone(v)
		delete(without, name)
		b, err := json.Marshal(without)
		if err != nil {
			t.Fatal(err)
		}
		if got := ComputeKey(scope, b).Exact; got == want {
			t.Errorf("member %q is not in the key", name)
		}
	}
}

// FuzzKeyerString checks the key reader's strings, read with rawjson's
// scanner, are what the byte loop read, well-formed or not: any
// difference would change the keys of stored entries.
func FuzzKeyerString(f *testing.F) {
	for _, s := range []string{
		`"plain"`, `"a\"b"`, `"\u00e9\ud83d\ude00 and more text past eight bytes"`, `"unterminated`,
		`"bad \x escape"`, "\"ctl \x01 byte\"", `"trailing\`, `"\u12"`, `""`, `"12345678\"12345678"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s := string(body)
		for start := range len(s) {
			if s[start] != '"' {
				continue
			}
			k := &keyer{s: s, body: body, i: start}
			got := k.string()
			// The byte loop, which the reader still falls back to.
			j, esc := (&keyer{s: s}).looseString(start + 1)
			want, wantI := s[start+1:j], j+1
			if esc {
				want = gjson.Parse(s[start:min(j+1, len(s))]).Str
			}
			if got != want || k.i != wantI {
				t.Fatalf("%q at %d: read %q to %d, byte loop %q to %d", s, start, got, k.i, want, wantI)
			}
		}
	})
}
