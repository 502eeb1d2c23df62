package inbound

import (
	"context"
	"strconv"

	"github.com/tidwall/sjson"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

var jsonHeader = []pipeline.Header{{Key: "content-type", Value: "application/json"}}

// Models is the request stage that answers GET /v1/models and
// GET /v1/models/{id} locally. It runs after policy, so each caller sees
// only the models it may use.
type Models struct{}

// Name implements pipeline.RequestStage.
func (Models) Name() string { return "models" }

// OnRequest implements pipeline.RequestStage.
func (Models) OnRequest(_ context.Context, x *pipeline.Exchange) error {
	if x.API != pipeline.APIModels {
		return nil
	}
	if x.Model != "" {
		return modelReply(x, x.Model)
	}
	return modelsReply(x)
}

// visible reports whether the caller may see a model (by its canonical name).
func visible(x *pipeline.Exchange, m *config.Model) bool {
	if x.ModelAllowlist == nil {
		return true
	}
	for _, name := range x.ModelAllowlist {
		if name == m.Name {
			return true
		}
	}
	return false
}

// modelsReply answers GET /v1/models from config: public names and aliases,
// never upstream names or backends, which are deployment details.
func modelsReply(x *pipeline.Exchange) error {
	body := []byte(`{"object":"list","data":[]}`)
	i := 0
	for _, m := range x.Config.Models {
		if !visible(x, m) {
			continue
		}
		for _, name := range append([]string{m.Name}, m.Aliases...) {
			var err error
			if body, err = sjson.SetRawBytes(body, "data."+strconv.Itoa(i), modelObject(m, name)); err != nil {
				return gwerror.Wrap(gwerror.Internal, err, "building model list")
			}
			i++
		}
	}
	x.Reply = &pipeline.Reply{Status: 200, Headers: jsonHeader, Body: body}
	return nil
}

func modelReply(x *pipeline.Exchange, name string) error {
	m, ok := x.Config.Model(name)
	if !ok || !visible(x, m) {
		return gwerror.UnknownModel(name)
	}
	x.Reply = &pipeline.Reply{Status: 200, Headers: jsonHeader, Body: modelObject(m, name)}
	return nil
}

func modelObject(m *config.Model, name string) []byte {
	b := []byte(`{"id":"","object":"model","created":0,"owned_by":""}`)
	b, _ = sjson.SetBytes(b, "id", name)
	b, _ = sjson.SetBytes(b, "owned_by", m.OwnedBy)
	return b
}
