package oaiwire

import (
	"errors"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
)

func TestParseBody(t *testing.T) {
	if _, err := ParseBody([]byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	for body, msg := range map[string]string{
		`{"a":`: "request body is not valid JSON",
		`[]`:    "request body must be a JSON object",
		``:      "request body is not valid JSON",
	} {
		_, err := ParseBody([]byte(body))
		var ge *gwerror.Error
		if !errors.As(err, &ge) || ge.Code != gwerror.InvalidJSON || ge.Message != msg {
			t.Errorf("ParseBody(%q) = %v, want invalid_json %q", body, err, msg)
		}
	}
}

func TestIsNeutral(t *testing.T) {
	tests := []struct {
		key, v string
		want   bool
	}{
		{"n", `1`, true}, {"n", `2`, false}, {"n", `"1"`, false},
		{"presence_penalty", `0`, true}, {"presence_penalty", `0.5`, false},
		{"frequency_penalty", `0`, true}, {"top_logprobs", `0`, true}, {"top_logprobs", `3`, false},
		{"logprobs", `false`, true}, {"logprobs", `true`, false},
		{"store", `false`, true}, {"store", `true`, false},
		{"parallel_tool_calls", `true`, true}, {"parallel_tool_calls", `false`, false},
		{"logit_bias", `{}`, true}, {"logit_bias", `{ }`, true}, {"logit_bias", `{"1":2}`, false}, {"logit_bias", `[]`, false},
		{"service_tier", `"auto"`, true}, {"service_tier", `"default"`, true}, {"service_tier", `"flex"`, false},
		{"modalities", `["text"]`, true}, {"modalities", `[]`, true}, {"modalities", `["text","audio"]`, false},
		{"modalities", `"text"`, false}, {"modalities", `{"a":"text"}`, false},
		{"seed", `0`, false}, {"frobnicate", `null`, false},
	}
	for _, tc := range tests {
		if got := IsNeutral(tc.key, gjson.Parse(tc.v)); got != tc.want {
			t.Errorf("IsNeutral(%s, %s) = %t, want %t", tc.key, tc.v, got, tc.want)
		}
	}
}

func TestEachParamSkipsNull(t *testing.T) {
	var keys []string
	err := EachParam(gjson.Parse(`{"a":1,"b":null,"c":"x"}`), func(k string, _ gjson.Result) error {
		keys = append(keys, k)
		return nil
	})
	if err != nil || len(keys) != 2 || keys[0] != "a" || keys[1] != "c" {
		t.Fatalf("keys %v, err %v", keys, err)
	}
	stop := errors.New("stop")
	n := 0
	err = EachParam(gjson.Parse(`{"a":1,"b":2}`), func(string, gjson.Result) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("EachParam went on after an error: n=%d err=%v", n, err)
	}
}

func TestChatParamsRead(t *testing.T) {
	const msgs = `"messages":[]`
	tests := []struct {
		name, body string
		maxTokens  string
		other      []string
		code       gwerror.Code
		param      string
	}{
		{"completion tokens win after", `{` + msgs + `,"max_tokens":5,"max_completion_tokens":7}`, "7", nil, "", ""},
		{"completion tokens win before", `{` + msgs + `,"max_completion_tokens":7,"max_tokens":5}`, "7", nil, "", ""},
		{"bookkeeping skipped", `{` + msgs + `,"model":"m","stream":true,"stream_options":{},"user":"u","safety_identifier":"s","metadata":{}}`, "", nil, "", ""},
		{"others passed on", `{` + msgs + `,"seed":1,"n":null,"top_k":2}`, "", []string{"seed", "top_k"}, "", ""},
		{"no messages", `{"temperature":1}`, "", nil, gwerror.MissingField, "messages"},
		{"string temperature", `{` + msgs + `,"temperature":"hot"}`, "", nil, gwerror.InvalidRequest, "temperature"},
		{"fractional max_tokens", `{` + msgs + `,"max_tokens":1.5}`, "", nil, gwerror.InvalidRequest, "max_tokens"},
		{"huge max_tokens", `{` + msgs + `,"max_tokens":1e12}`, "", nil, gwerror.InvalidRequest, "max_tokens"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p ChatParams
			var other []string
			err := p.Read(gjson.Parse(tc.body), func(k string, _ gjson.Result) error {
				other = append(other, k)
				return nil
			})
			if tc.code != "" {
				var ge *gwerror.Error
				if !errors.As(err, &ge) || ge.Code != tc.code || ge.Param != tc.param {
					t.Fatalf("err = %v, want %s on %s", err, tc.code, tc.param)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.MaxTokens.Raw != tc.maxTokens || len(other) != len(tc.other) {
				t.Fatalf("max tokens %q, others %v", p.MaxTokens.Raw, other)
			}
			for i := range other {
				if other[i] != tc.other[i] {
					t.Fatalf("others %v, want %v", other, tc.other)
				}
			}
		})
	}
}

func TestNeutralOnly(t *testing.T) {
	if err := NeutralOnly(translate.Bedrock, "n", gjson.Parse(`1`)); err != nil {
		t.Fatal(err)
	}
	err := NeutralOnly(translate.Bedrock, "n", gjson.Parse(`3`))
	var ge *gwerror.Error
	if !errors.As(err, &ge) || ge.Code != gwerror.UnsupportedParam || ge.Param != "n" ||
		ge.Message != "parameter n is not supported by provider bedrock" {
		t.Fatalf("err = %v", err)
	}
}

func TestAppendStop(t *testing.T) {
	for in, want := range map[string]string{
		`"x"`:         `["x"]`,
		`["a","b"]`:   `["a","b"]`,
		`[]`:          `[]`,
		`["a\u0000"]`: `["a\u0000"]`,
	} {
		got, err := AppendStop(nil, gjson.Parse(in))
		if err != nil || string(got) != want {
			t.Errorf("AppendStop(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{`7`, `["a",1]`, `{"a":1}`} {
		if _, err := AppendStop(nil, gjson.Parse(in)); !errors.Is(err, gwerror.New(gwerror.InvalidRequest, "")) {
			t.Errorf("AppendStop(%s): err = %v", in, err)
		}
	}
}

func TestParseDataURI(t *testing.T) {
	tests := []struct {
		uri, mediaType, data string
		ok                   bool
	}{
		{"data:image/png;base64,iVBOR", "image/png", "iVBOR", true},
		{"data:Image/PNG;base64,iVBOR", "image/png", "iVBOR", true},
		{"data:application/pdf;name=a.pdf;base64,JVBE", "application/pdf", "JVBE", true},
		{"data:image/png;base64,", "", "", false},
		{"data:;base64,abc", "", "", false},
		{"data:image/png,abc", "", "", false},
		{"data:image/png;base64abc", "", "", false},
		{"https://x/a.png", "", "", false},
	}
	for _, tc := range tests {
		mt, data, ok := ParseDataURI(tc.uri)
		if mt != tc.mediaType || data != tc.data || ok != tc.ok {
			t.Errorf("ParseDataURI(%q) = %q, %q, %t; want %q, %q, %t", tc.uri, mt, data, ok, tc.mediaType, tc.data, tc.ok)
		}
	}
}
