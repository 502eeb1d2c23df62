package prompt

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/identity"
	"github.com/sluice-gw/sluice/pkg/inbound"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/policy"
	"github.com/sluice-gw/sluice/pkg/translate"
)

func loadStage(t *testing.T, file string) (*Stage, *config.Snapshot) {
	t.Helper()
	snap, err := config.Load(file, config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := New(slog.New(slog.DiscardHandler))
	if err := s.Reload(t.Context(), snap); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, snap
}

// run identifies, parses and renders one request as the pipeline does.
func run(t *testing.T, s *Stage, snap *config.Snapshot, method, path, body string, id *identity.Identity) (*pipeline.Exchange, error) {
	t.Helper()
	x := &pipeline.Exchange{RequestID: "r1", Config: snap, Method: method, Path: path, Identity: id,
		Request: translate.Request{Body: []byte(body)}}
	if err := (inbound.Identify{}).OnRequestHeaders(t.Context(), x); err != nil {
		return x, err
	}
	if err := (inbound.Parse{}).OnRequest(t.Context(), x); err != nil {
		return x, err
	}
	return x, s.OnRequest(t.Context(), x)
}

func TestTemplateCall(t *testing.T) {
	s, snap := loadStage(t, "testdata/sluice.yaml")
	x, err := run(t, s, snap, "POST", "/v1/prompts/support/versions/1",
		`{"variables":{"customer_name":"Ada","question":"\"}]"},"max_tokens":50}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	body := gjson.ParseBytes(x.Request.Body)
	if x.API != pipeline.APIChat || x.Model != "gpt-4o" || x.Prompt.Template != "support" || x.Prompt.Version != "1" {
		t.Errorf("exchange: api %v model %q prompt %+v", x.API, x.Model, x.Prompt)
	}
	if x.Summary.MessageCount != 2 || x.Summary.LastUserMessage != `Ada asks: "}]` || x.Summary.MaxTokens != 50 ||
		x.Summary.Parameters["temperature"] != 0.2 {
		t.Errorf("summary = %+v", x.Summary)
	}
	if !x.Out.ReplaceBody || body.Get("messages.0.content").Str != "You work for Acme." {
		t.Errorf("body = %s", x.Request.Body)
	}
}

func TestTemplateCallErrors(t *testing.T) {
	s, snap := loadStage(t, "testdata/sluice.yaml")
	for _, tc := range []struct {
		name, path, body, param string
	}{
		{"unknown template", "/v1/prompts/nope", `{}`, "template"},
		{"unknown version", "/v1/prompts/support/versions/9", `{}`, "version"},
		{"missing variable", "/v1/prompts/support/versions/1", `{"variables":{"question":"q"}}`, "variables.customer_name"},
		{"extra variable", "/v1/prompts/support/versions/1", `{"variables":{"customer_name":"a","question":"q","x":1}}`, "variables.x"},
		{"too long", "/v1/prompts/support/versions/1", `{"variables":{"customer_name":"` + strings.Repeat("a", 41) + `","question":"q"}}`, "variables.customer_name"},
		{"model override", "/v1/prompts/support", `{"model":"claude"}`, "model"},
		{"inaccessible template", "/v1/prompts/internal", `{}`, "template"},
		{"not an object", "/v1/prompts/support", `[1]`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(t, s, snap, "POST", tc.path, tc.body, &identity.Identity{Tenant: "acme"})
			var ge *gwerror.Error
			if !errors.As(err, &ge) || ge.HTTPStatus() != 400 || ge.Param != tc.param {
				t.Errorf("error = %v, want a 400 with param %q", err, tc.param)
			}
		})
	}
}

func TestPromptInChatRequest(t *testing.T) {
	s, snap := loadStage(t, "testdata/sluice.yaml")
	x, err := run(t, s, snap, "POST", "/v1/chat/completions",
		`{"prompt":{"id":"support","version":"1","variables":{"customer_name":"Ada","question":"q"}},"messages":[{"role":"user","content":"more"}],"temperature":1}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := gjson.ParseBytes(x.Request.Body)
	if b.Get("prompt").Exists() || b.Get("messages.#").Int() != 3 || b.Get("temperature").Num != 1 || x.Model != "gpt-4o" ||
		x.Summary.LastUserMessage != "more" || x.Prompt.Template != "support" {
		t.Errorf("body = %s, summary %+v", x.Request.Body, x.Summary)
	}
	_, err = run(t, s, snap, "POST", "/v1/chat/completions", `{"prompt":{"id":"support","version":"1","variables":{"customer_name":"Ada"}}}`, nil)
	var ge *gwerror.Error
	if !errors.As(err, &ge) || ge.Param != "prompt.variables.question" {
		t.Errorf("error = %v, want param prompt.variables.question", err)
	}
}

func TestList(t *testing.T) {
	s, snap := loadStage(t, "testdata/sluice.yaml")
	for _, tc := range []struct {
		id   *identity.Identity
		want string
	}{
		{nil, `["support"]`},
		{&identity.Identity{Tenant: "acme", Roles: []string{"admin"}}, `["internal","support"]`},
		{&identity.Identity{Tenant: "acme", Roles: []string{"dev"}}, `["support"]`},
	} {
		x, err := run(t, s, snap, "GET", "/v1/prompts", "", tc.id)
		if err != nil {
			t.Fatal(err)
		}
		if got := gjson.GetBytes(x.Reply.Body, "data.#.id").Raw; got != tc.want {
			t.Errorf("listed %s, want %s", got, tc.want)
		}
	}
}

func TestRollout(t *testing.T) {
	s, _ := loadStage(t, "testdata/sluice.yaml")
	e := s.cur.Load().lib.Lookup("support")
	counts := map[string]int{}
	for i := range 4000 {
		counts[e.Pick("user:u"+string(rune('a'+i%26))+strings.Repeat("x", i/26)).Version]++
	}
	if share := float64(counts["2"]) / 4000; share < 0.22 || share > 0.28 {
		t.Errorf("version 2 got %.3f of calls, want 0.25 ± 0.03", share)
	}
	first := e.Pick("user:alice")
	for range 10 {
		if got := e.Pick("user:alice"); got != first {
			t.Fatalf("the same caller got version %s, then %s", first.Version, got.Version)
		}
	}
}

func TestDecorate(t *testing.T) {
	s, snap := loadStage(t, "testdata/sluice.yaml")
	for _, tc := range []struct {
		name, path, body, want string
	}{
		{"chat", "/v1/chat/completions",
			`{"model":"gpt-4o","messages":[{"role":"system","content":"S"},{"role":"user","content":"U"}]}`,
			`[{"role":"system","content":"Be safe."},{"role":"system","content":"S"},{"role":"system","content":"Be brief."},{"role":"user","content":"U"}]`},
		{"chat without system", "/v1/chat/completions",
			`{"model":"gpt-4o","messages":[{"role":"user","content":"U"}]}`,
			`[{"role":"system","content":"Be safe."},{"role":"system","content":"Be brief."},{"role":"user","content":"U"}]`},
		{"messages", "/v1/messages",
			`{"model":"claude","system":"S","messages":[{"role":"user","content":"U"}]}`,
			`[{"type":"text","text":"Be safe."},{"type":"text","text":"S"},{"type":"text","text":"Be brief."}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, err := run(t, s, snap, "POST", tc.path, tc.body, nil)
			if err != nil {
				t.Fatal(err)
			}
			x.Decision = &policy.Decision{Allow: true, Prompt: policy.Prompt{Decorators: []string{"brief", "safety"}}}
			if err := s.Decorate().OnRequest(t.Context(), x); err != nil {
				t.Fatal(err)
			}
			field := "messages"
			if x.API == pipeline.APIMessages {
				field = "system"
			}
			if got := gjson.GetBytes(x.Request.Body, field).Raw; got != tc.want {
				t.Errorf("%s = %s\nwant %s", field, got, tc.want)
			}
			if strings.Join(x.Prompt.Decorators, ",") != "brief,safety" {
				t.Errorf("recorded decorators %v", x.Prompt.Decorators)
			}
		})
	}
	x, _ := run(t, s, snap, "POST", "/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"U"}]}`, nil)
	x.Decision = &policy.Decision{Allow: true, Prompt: policy.Prompt{Decorators: []string{"missing"}}}
	if err := s.Decorate().OnRequest(t.Context(), x); gwerror.From(err).Code != gwerror.PolicyError {
		t.Errorf("unknown decorator: error %v, want policy_error", err)
	}
}

func TestOutput(t *testing.T) {
	for _, tc := range []struct{ body, output, outputErr string }{
		{`{"choices":[{"message":{"content":"{\"answer\":\"yes\"}"}}]}`, `{"answer":"yes"}`, ""},
		{`{"choices":[{"message":{"content":"sure! {\"answer\":1}"}}]}`, `null`, OutputError},
		{`{"choices":[{"message":{"content":null}}]}`, `null`, OutputError},
	} {
		got := gjson.ParseBytes(addOutput([]byte(tc.body)))
		if got.Get("output").Raw != tc.output || got.Get("output_error").Str != tc.outputErr {
			t.Errorf("addOutput(%s) = %s", tc.body, got.Raw)
		}
	}
}

func TestDirectoryReload(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("greet-1.yaml", "name: greet\nversions:\n  - {version: \"1\", model: gpt-4o, user: hello}\n")
	cfg := filepath.Join(t.TempDir(), "sluice.yaml")
	src := "backends: [{name: openai, provider: openai, credential: {env: OPENAI_API_KEY}}]\n" +
		"models: [{name: gpt-4o, backend: openai}]\ntemplates: {dir: " + dir + "}\n"
	if err := os.WriteFile(cfg, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _ := loadStage(t, cfg)
	reloaded := make(chan error, 10)
	s.mu.Lock()
	s.OnDirReload = func(err error) { reloaded <- err }
	s.mu.Unlock()
	wait := func() error {
		t.Helper()
		select {
		case err := <-reloaded:
			return err
		case <-time.After(5 * time.Second):
			t.Fatal("no reload")
			return nil
		}
	}
	write("greet-2.yaml", "name: greet\nversions:\n  - {version: \"2\", model: gpt-4o, user: hi}\n")
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if e := s.cur.Load().lib.Lookup("greet"); e == nil || len(e.Versions) != 2 {
		t.Fatalf("after adding a version file: %+v", e)
	}
	write("greet-3.yaml", "name: greet\nversions:\n  - {version: \"3\", model: gpt-4o, user: \"{{nope}}\"}\n")
	err := wait()
	if err == nil || !strings.Contains(err.Error(), "greet-3.yaml:3: versions[0].user: {{nope}} names no declared variable") {
		t.Fatalf("bad file: reload error %v", err)
	}
	if e := s.cur.Load().lib.Lookup("greet"); e == nil || len(e.Versions) != 2 {
		t.Fatal("a bad file replaced the last good templates")
	}
	// A config without the directory stops watching it.
	other, err := config.Load("testdata/sluice.yaml", config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	if s.cur.Load().lib.Lookup("greet") != nil || s.watch != nil {
		t.Error("the directory's templates outlived a config without it")
	}
}
