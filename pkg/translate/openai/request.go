package openai

import (
	"bytes"
	"maps"
	"net/url"
	"strings"

	"github.com/tidwall/sjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// setOpts tells sjson the key usually exists, which lets it splice in place
// of searching twice.
var setOpts = &sjson.Options{Optimistic: true}

// Request rewrites the model, adds stream metering and sets path and auth.
// The body is otherwise forwarded as the client sent it.
func (tr *translator) Request(req *translate.Request, t *translate.Target) (*translate.Upstream, error) {
	if req == nil || t == nil {
		return nil, gwerror.New(gwerror.Internal, "openai: request or target missing")
	}
	var suffix, usual string // usual is the path when no base path is set
	switch req.Op {
	case translate.Chat:
		suffix, usual = chatSuffix, defaultBasePath+chatSuffix
	case translate.Embeddings:
		suffix, usual = embeddingsSuffix, defaultBasePath+embeddingsSuffix
	default:
		return nil, gwerror.New(gwerror.InvalidRequest, "operation %s is not supported by provider %s", req.Op, tr.provider)
	}
	body, err := tr.body(req, t)
	if err != nil {
		return nil, err
	}
	return &translate.Upstream{
		Method:  "POST",
		Path:    tr.path(suffix, usual, t),
		Body:    body,
		Headers: tr.headers(t),
	}, nil
}

// body edits the client body with sjson: at most two splices, no parse.
func (tr *translator) body(req *translate.Request, t *translate.Target) ([]byte, error) {
	if !isObject(req.Body) {
		return nil, gwerror.New(gwerror.InvalidJSON, "request body must be a JSON object")
	}
	body := req.Body
	var err error
	// An unchanged model leaves the client's bytes as they are, so Sluice
	// can tell Envoy to keep the body instead of resending it.
	if t.Model != "" && rawjson.Get(body, "model").Str != t.Model {
		body, err = sjson.SetBytesOptions(body, "model", t.Model, setOpts)
		if err != nil {
			return nil, gwerror.Wrap(gwerror.InvalidJSON, err, "request body is not valid JSON")
		}
	}
	if req.Op == translate.Chat && req.Stream && !req.IncludeUsage {
		// Ask for the final usage chunk so the stream can be metered; the
		// stream translator hides it from a client that did not ask.
		if !rawjson.Get(body, "stream_options").Exists() {
			return appendMember(body, includeUsage), nil
		}
		body, err = sjson.SetBytes(body, "stream_options.include_usage", true)
		if err != nil {
			return nil, gwerror.Wrap(gwerror.InvalidJSON, err, "request body is not valid JSON")
		}
	}
	return body, nil
}

const includeUsage = `"stream_options":{"include_usage":true}`

// appendMember inserts member before the object's closing brace in one
// copy, the common case of a client that sent no stream_options.
func appendMember(obj []byte, member string) []byte {
	end := bytes.LastIndexByte(obj, '}')
	if end < 0 {
		return obj
	}
	prev := bytes.TrimRight(obj[:end], " \t\r\n")
	out := make([]byte, 0, len(obj)+len(member)+1)
	out = append(out, prev...)
	if len(prev) > 0 && prev[len(prev)-1] != '{' {
		out = append(out, ',')
	}
	out = append(out, member...)
	return append(out, obj[len(prev):]...)
}

// isObject reports whether b starts, after white space, with '{'. The parse
// stage has validated the body; this only guards sjson against misuse.
func isObject(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}

// path is the upstream path; usual is the one for the default base path,
// a constant, so the common case builds no string.
func (tr *translator) path(suffix, usual string, t *translate.Target) string {
	if tr.provider == translate.AzureOpenAI {
		base := basePath(t.BasePath, defaultAzureBasePath)
		deployment := t.Deployment
		if deployment == "" {
			deployment = t.Model
		}
		version := t.APIVersion
		if version == "" {
			version = DefaultAzureAPIVersion
		}
		return base + "/deployments/" + url.PathEscape(deployment) + suffix +
			"?api-version=" + url.QueryEscape(version)
	}
	if t.BasePath == "" {
		return usual
	}
	return basePath(t.BasePath, defaultBasePath) + suffix
}

// basePath returns p without a trailing slash, or def when p is empty. A
// BasePath of "/" mounts the API at the root.
func basePath(p, def string) string {
	if p == "" {
		return def
	}
	p = strings.TrimRight(p, "/")
	if p != "" && p[0] != '/' {
		p = "/" + p
	}
	return p
}

// headers returns the upstream headers for t's credential. The slice is
// shared by every request with that credential: callers only read it, and
// its length is its capacity, so an append copies it.
func (tr *translator) headers(t *translate.Target) []translate.Header {
	key := t.Credential.APIKey
	known := tr.auth.Load()
	if known != nil {
		if hs, ok := (*known)[key]; ok {
			return hs
		}
	}
	contentType := translate.Header{Key: "content-type", Value: "application/json"}
	var hs []translate.Header
	switch {
	case key == "":
		hs = []translate.Header{contentType}
	case tr.provider == translate.AzureOpenAI:
		hs = []translate.Header{contentType, {Key: "api-key", Value: key}}
	default:
		hs = []translate.Header{contentType, {Key: "authorization", Value: "Bearer " + key}}
	}
	// Two requests may both miss and store: the later map wins, and the
	// other's key is found again on its next miss.
	next := make(map[string][]translate.Header, 4)
	if known != nil && len(*known) < maxAuth {
		maps.Copy(next, *known)
	}
	next[key] = hs
	tr.auth.Store(&next)
	return hs
}
