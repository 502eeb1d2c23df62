package oaiwire

import (
	"errors"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
)

func paramOf(t *testing.T, err error) (gwerror.Code, string) {
	t.Helper()
	var ge *gwerror.Error
	if !errors.As(err, &ge) {
		t.Fatalf("err = %v, want a *gwerror.Error", err)
	}
	return ge.Code, ge.Param
}

func TestEachMessage(t *testing.T) {
	msgs := gjson.Parse(`[{"role":"developer","content":"d"},{"role":"system"},{"role":"user","content":"u"},
		{"role":"assistant","content":null},{"role":"tool","tool_call_id":"a"}]`)
	var got []string
	err := EachMessage(translate.Gemini, msgs, func(m Message) error {
		got = append(got, m.At+"="+string(rune('0'+m.Role))+":"+m.Content.String())
		return nil
	})
	want := "messages[0]=1:d messages[1]=1: messages[2]=2:u messages[3]=3: messages[4]=4:"
	if err != nil || strings.Join(got, " ") != want {
		t.Fatalf("got %q, %v\nwant %q", strings.Join(got, " "), err, want)
	}

	tests := []struct {
		msgs  string
		code  gwerror.Code
		param string
	}{
		{`["hi"]`, gwerror.InvalidRequest, "messages[0]"},
		{`[{"role":"user"},{"role":"robot"}]`, gwerror.InvalidRequest, "messages[1].role"},
		{`[{"role":"function","content":"x"}]`, gwerror.UnsupportedParam, "messages[0].role"},
		{`[{"role":"assistant","function_call":{"name":"f"}}]`, gwerror.UnsupportedParam, "messages[0].function_call"},
		{`[{"role":"assistant","audio":{"id":"a"}}]`, gwerror.UnsupportedParam, "messages[0].audio"},
	}
	for _, tc := range tests {
		err := EachMessage(translate.Gemini, gjson.Parse(tc.msgs), func(Message) error { return nil })
		if code, param := paramOf(t, err); code != tc.code || param != tc.param {
			t.Errorf("%s: got %s on %s, want %s on %s", tc.msgs, code, param, tc.code, tc.param)
		}
	}
	if err := EachMessage(translate.Gemini, gjson.Parse(`[{"role":"assistant","audio":null}]`), func(Message) error { return nil }); err != nil {
		t.Errorf("a null audio is absent: %v", err)
	}
}

func TestEachText(t *testing.T) {
	var texts []string
	collect := func(s string) { texts = append(texts, s) }
	content := gjson.Parse(`[{"type":"text","text":"a"},{"type":"refusal","refusal":"b"}]`)
	if err := EachText(translate.Bedrock, "messages[0]", content, collect); err != nil {
		t.Fatal(err)
	}
	if err := EachText(translate.Bedrock, "messages[1]", gjson.Parse(`"c"`), collect); err != nil {
		t.Fatal(err)
	}
	if strings.Join(texts, ",") != "a,b,c" {
		t.Fatalf("texts %q", texts)
	}
	err := EachText(translate.Bedrock, "messages[2]", gjson.Parse(`[{"type":"text"},{"type":"image_url"}]`), collect)
	if code, param := paramOf(t, err); code != gwerror.UnsupportedParam || param != "messages[2].content[1].type" {
		t.Fatalf("got %s on %s", code, param)
	}
	err = EachText(translate.Bedrock, "messages[3]", gjson.Parse(`5`), collect)
	if code, param := paramOf(t, err); code != gwerror.InvalidRequest || param != "messages[3].content" {
		t.Fatalf("got %s on %s", code, param)
	}
	if s, err := JoinText(translate.Bedrock, "m", gjson.Parse(`[{"type":"text","text":"x"},{"type":"text","text":"y"}]`)); s != "xy" || err != nil {
		t.Fatalf("JoinText = %q, %v", s, err)
	}
}

func TestEachUserContent(t *testing.T) {
	var log []string
	text := func(s string) { log = append(log, "text:"+s) }
	part := func(at string, p gjson.Result) error {
		log = append(log, at+":"+p.Get("type").Str)
		return nil
	}
	content := gjson.Parse(`[{"type":"text","text":"a"},{"type":"image_url"},{"type":"file"}]`)
	if err := EachUserContent("messages[0]", content, text, part); err != nil {
		t.Fatal(err)
	}
	if err := EachUserContent("messages[1]", gjson.Result{}, text, part); err != nil {
		t.Fatal(err)
	}
	want := "text:a messages[0].content[1]:image_url messages[0].content[2]:file text:"
	if got := strings.Join(log, " "); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	err := EachUserContent("messages[2]", gjson.Parse(`{}`), text, part)
	if code, param := paramOf(t, err); code != gwerror.InvalidRequest || param != "messages[2].content" {
		t.Fatalf("got %s on %s", code, param)
	}
}

func TestEachToolCall(t *testing.T) {
	var ats []string
	fn := func(at string, _ gjson.Result, i int) error {
		ats = append(ats, at+"#"+string(rune('0'+i)))
		return nil
	}
	calls := gjson.Parse(`[{"type":"function"},{"function":{}}]`)
	if err := EachToolCall(translate.Gemini, "messages[1]", calls, fn); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ats, " "); got != "messages[1].tool_calls[0]#0 messages[1].tool_calls[1]#1" {
		t.Fatalf("got %q", got)
	}
	if err := EachToolCall(translate.Gemini, "m", gjson.Parse(`null`), fn); err != nil {
		t.Fatal(err)
	}
	err := EachToolCall(translate.Gemini, "m", gjson.Parse(`[{"type":"custom"}]`), fn)
	if code, param := paramOf(t, err); code != gwerror.UnsupportedParam || param != "m.tool_calls[0].type" {
		t.Fatalf("got %s on %s", code, param)
	}
	err = EachToolCall(translate.Gemini, "m", gjson.Parse(`{}`), fn)
	if code, param := paramOf(t, err); code != gwerror.InvalidRequest || param != "m.tool_calls" {
		t.Fatalf("got %s on %s", code, param)
	}
}

func TestToolCallArguments(t *testing.T) {
	for call, want := range map[string]string{
		`{"function":{"arguments":" {\"a\":1} "}}`: `{"a":1}`,
		`{"function":{"arguments":""}}`:            `{}`,
		`{"function":{}}`:                          `{}`,
	} {
		if got, err := ToolCallArguments("c", gjson.Parse(call)); got != want || err != nil {
			t.Errorf("ToolCallArguments(%s) = %q, %v; want %q", call, got, err, want)
		}
	}
	for _, call := range []string{`{"function":{"arguments":"[1]"}}`, `{"function":{"arguments":"{oops"}}`} {
		_, err := ToolCallArguments("c", gjson.Parse(call))
		if code, param := paramOf(t, err); code != gwerror.InvalidRequest || param != "c.function.arguments" {
			t.Errorf("%s: got %s on %s", call, code, param)
		}
	}
}

func TestEachTool(t *testing.T) {
	var names []string
	fn := func(at string, i int, _ gjson.Result, name string) error {
		names = append(names, at+"="+name)
		return nil
	}
	tools := gjson.Parse(`[{"type":"function","function":{"name":"a"}},{"type":"function","function":{"name":"b"}}]`)
	if err := EachTool(translate.Gemini, tools, fn); err != nil || strings.Join(names, " ") != "tools[0]=a tools[1]=b" {
		t.Fatalf("names %q, err %v", names, err)
	}
	for tools, param := range map[string]string{
		`[{"type":"web_search"}]`:             "tools[0].type",
		`[{"type":"function","function":{}}]`: "tools[0].function.name",
	} {
		err := EachTool(translate.Gemini, gjson.Parse(tools), fn)
		if _, p := paramOf(t, err); p != param {
			t.Errorf("%s: param %q, want %q", tools, p, param)
		}
	}
}

func TestReadToolChoice(t *testing.T) {
	for in, want := range map[string]ToolChoice{
		`"auto"`:     {Mode: ChoiceAuto},
		`"none"`:     {Mode: ChoiceNone},
		`"required"`: {Mode: ChoiceRequired},
		`{"type":"function","function":{"name":"f"}}`: {Mode: ChoiceFunction, Function: "f"},
	} {
		if got, err := ReadToolChoice(translate.Gemini, gjson.Parse(in)); got != want || err != nil {
			t.Errorf("ReadToolChoice(%s) = %+v, %v", in, got, err)
		}
	}
	for in, param := range map[string]string{
		`"sometimes"`:              "tool_choice",
		`{"type":"allowed_tools"}`: "tool_choice.type",
		`{"type":"function"}`:      "tool_choice.function.name",
	} {
		_, err := ReadToolChoice(translate.Gemini, gjson.Parse(in))
		if _, p := paramOf(t, err); p != param {
			t.Errorf("ReadToolChoice(%s): param %q, want %q", in, p, param)
		}
	}
}

func TestWalkMessages(t *testing.T) {
	msgs := gjson.Parse(`[
		{"role":"system","content":"sys"},
		{"role":"user","content":[{"type":"text","text":"hi"},{"type":"text","text":""},{"type":"image_url"}]},
		{"role":"developer","content":[{"type":"text","text":"dev"}]},
		{"role":"assistant","content":"","tool_calls":[{"id":"a","type":"function"}]},
		{"role":"tool","tool_call_id":"a","content":"r"}]`)
	var log []string
	h := &Handlers{
		Text: func(role Role, s string) { log = append(log, string(rune('0'+role))+":"+s) },
		UserPart: func(at string, _ gjson.Result) error {
			log = append(log, "part "+at)
			return nil
		},
		ToolCall: func(at string, _ gjson.Result, _ int) error {
			log = append(log, "call "+at)
			return nil
		},
		ToolResult: func(at string, _ gjson.Result) error {
			log = append(log, "result "+at)
			return nil
		},
	}
	if err := WalkMessages(translate.Gemini, msgs, h); err != nil {
		t.Fatal(err)
	}
	want := "1:sys|2:hi|part messages[1].content[2]|1:dev|call messages[3].tool_calls[0]|result messages[4]"
	if got := strings.Join(log, "|"); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
