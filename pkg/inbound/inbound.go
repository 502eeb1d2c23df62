// Package inbound is the API adapter layer: it identifies which API a
// client called from :method and :path, and reads the body once, with
// gjson, into the request summary every later stage shares. Stages after it
// never parse the body again.
package inbound

import (
	"context"
	"strings"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// Identify is the header stage that maps :path to an API.
type Identify struct{}

// Name implements pipeline.HeaderStage.
func (Identify) Name() string { return "identify" }

type endpoint struct {
	path   string
	method string
	api    pipeline.API
}

var endpoints = []endpoint{
	{"/v1/chat/completions", "POST", pipeline.APIChat},
	{"/v1/embeddings", "POST", pipeline.APIEmbeddings},
	{"/v1/messages", "POST", pipeline.APIMessages},
	{"/v1/models", "GET", pipeline.APIModels},
	{"/v1/prompts", "GET", pipeline.APIPrompts},
}

// identifyPrompt accepts /v1/prompts/{name} and
// /v1/prompts/{name}/versions/{v}; the prompt stage reads the name and
// version from the path.
func identifyPrompt(x *pipeline.Exchange, path string) error {
	rest := strings.TrimPrefix(path, "/v1/prompts/")
	name, version, pinned := strings.Cut(rest, "/versions/")
	if name == "" || strings.Contains(name, "/") || (pinned && (version == "" || strings.Contains(version, "/"))) {
		return gwerror.New(gwerror.NotFound, "no API at %s %s", x.Method, path)
	}
	if x.Method != "POST" {
		return gwerror.New(gwerror.MethodNotAllowed, "method %s is not allowed on %s", x.Method, path)
	}
	x.API = pipeline.APIPrompt
	return nil
}

// OnRequestHeaders implements pipeline.HeaderStage.
func (Identify) OnRequestHeaders(_ context.Context, x *pipeline.Exchange) error {
	path := x.Path
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if strings.HasPrefix(path, "/v1/prompts/") {
		return identifyPrompt(x, path)
	}
	if strings.HasPrefix(path, "/v1/models/") {
		x.API = pipeline.APIModels
		if x.Method != "GET" {
			return gwerror.New(gwerror.MethodNotAllowed, "method %s is not allowed on %s", x.Method, path)
		}
		x.Model = strings.TrimPrefix(path, "/v1/models/")
		return nil
	}
	for _, e := range endpoints {
		if e.path != path {
			continue
		}
		if e.method != x.Method {
			return gwerror.New(gwerror.MethodNotAllowed, "method %s is not allowed on %s", x.Method, path)
		}
		x.API = e.api
		return nil
	}
	return gwerror.New(gwerror.NotFound, "no API at %s %s", x.Method, path)
}
