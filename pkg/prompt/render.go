package prompt

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/inbound"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/prompt/template"
)

// OnRequest implements pipeline.RequestStage. It runs right after the
// parse stage: a template call or a chat request carrying "prompt" leaves
// it as an ordinary, summarised chat completion request.
func (s *Stage) OnRequest(ctx context.Context, x *pipeline.Exchange) error {
	switch x.API {
	case pipeline.APIPrompts:
		return s.list(x)
	case pipeline.APIPrompt:
		return s.call(ctx, x)
	case pipeline.APIChat:
		// Parse summarises every ordinary chat request (it has at least
		// one message); one it left alone carries a prompt.
		if x.Summary.MessageCount == 0 {
			return s.embedded(ctx, x)
		}
	}
	return nil
}

// call renders POST /v1/prompts/{name}[/versions/{v}].
func (s *Stage) call(ctx context.Context, x *pipeline.Exchange) error {
	name, version, pinned := pathOf(x.Path)
	st := s.cur.Load()
	e := st.lib.Lookup(name)
	if e == nil || !e.Allows(x.Identity) {
		return gwerror.Param(gwerror.InvalidRequest, "template", "no template %q", name)
	}
	t, err := pick(e, version, pinned, x, "version")
	if err != nil {
		return err
	}
	root := gjson.ParseBytes(x.Request.Body) // the parse stage checked it is a JSON object
	if err := template.CheckCall(root); err != nil {
		return badField(err, "")
	}
	vals, err := t.Bind(root.Get("variables"))
	if err != nil {
		return badField(err, "")
	}
	if err := s.apply(ctx, x, t, t.CallBody(root, vals)); err != nil {
		return err
	}
	if t.ResponseFormat != nil && !x.Request.Stream {
		s.outputs.Store(x, struct{}{})
		x.AtEnd(func(context.Context) { s.outputs.Delete(x) })
	}
	return nil
}

// embedded renders a chat request's "prompt": {"id", "version", "variables"}.
func (s *Stage) embedded(ctx context.Context, x *pipeline.Exchange) error {
	root := gjson.ParseBytes(x.Request.Body)
	p := root.Get("prompt")
	if !p.IsObject() {
		return gwerror.Param(gwerror.InvalidRequest, "prompt", "'prompt' must be an object with id, version and variables")
	}
	var err error
	p.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "variables":
		case "id", "version":
			if v.Type != gjson.String {
				err = gwerror.Param(gwerror.InvalidRequest, "prompt."+k.Str, "'prompt.%s' must be a string", k.Str)
			}
		default:
			err = gwerror.Param(gwerror.InvalidRequest, "prompt."+k.Str, "'prompt.%s' is not a field of prompt; send id, version and variables", k.Str)
		}
		return err == nil
	})
	if err != nil {
		return err
	}
	if m := root.Get("messages"); m.Exists() && !m.IsArray() {
		return gwerror.Param(gwerror.InvalidRequest, "messages", "'messages' must be an array")
	}
	name := p.Get("id").Str
	e := s.cur.Load().lib.Lookup(name)
	if e == nil || !e.Allows(x.Identity) {
		return gwerror.Param(gwerror.InvalidRequest, "prompt.id", "no template %q", name)
	}
	v := p.Get("version")
	t, err := pick(e, v.Str, v.Exists(), x, "prompt.version")
	if err != nil {
		return err
	}
	vals, err := t.Bind(p.Get("variables"))
	if err != nil {
		return badField(err, "prompt.")
	}
	body, err := t.Merge(x.Request.Body, root, vals)
	if err != nil {
		return gwerror.Wrap(gwerror.Internal, err, "rendering template %s", name)
	}
	return s.apply(ctx, x, t, body)
}

func pick(e *Entry, version string, pinned bool, x *pipeline.Exchange, param string) (*template.Template, error) {
	if !pinned {
		return e.Pick(stickyKey(x.Identity, x.RequestID)), nil
	}
	if t := e.Version(version); t != nil {
		return t, nil
	}
	return nil, gwerror.Param(gwerror.InvalidRequest, param, "template %s has no version %q", e.Name, version)
}

// apply makes body the request and summarises it again, as the parse
// stage does for any chat request: every later stage sees the rendered
// request and nothing else.
func (s *Stage) apply(ctx context.Context, x *pipeline.Exchange, t *template.Template, body []byte) error {
	x.Request.Body = body
	x.Out.Body, x.Out.ReplaceBody = body, true
	x.Out.Set("content-length", strconv.Itoa(len(body)))
	x.API = pipeline.APIChat
	x.Summary = pipeline.Summary{}
	x.Request.IncludeUsage = false
	x.Prompt.Template, x.Prompt.Version = t.Name, t.Version
	x.ClientHeaders = append(x.ClientHeaders, pipeline.Header{Key: VersionHeader, Value: t.Version})
	return inbound.Parse{}.OnRequest(ctx, x)
}

// VersionHeader tells the client which version of the template answered,
// useful when a rollout chose it.
const VersionHeader = "x-sluice-prompt-version"

// pathOf splits /v1/prompts/{name}[/versions/{v}]; the identify stage
// checked the shape.
func pathOf(path string) (name, version string, pinned bool) {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	return strings.Cut(strings.TrimPrefix(path, "/v1/prompts/"), "/versions/")
}

// badField turns a template error into the client's 400, naming the
// field as the client wrote it (prefix is "prompt." inside a chat request).
func badField(err error, prefix string) error {
	var fe *template.FieldError
	if errors.As(err, &fe) {
		param := prefix + fe.Path
		return gwerror.Param(gwerror.InvalidRequest, param, "'%s' %s", param, fe.Msg)
	}
	return gwerror.Wrap(gwerror.InvalidRequest, err, "invalid template call")
}
