package prompt

import (
	"strconv"

	"github.com/tidwall/sjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/prompt/template"
)

var jsonHeader = []pipeline.Header{{Key: "content-type", Value: "application/json"}}

// list answers GET /v1/prompts locally with the templates the caller may
// use: each version's model and the JSON Schema of its variables.
func (s *Stage) list(x *pipeline.Exchange) error {
	lib := s.cur.Load().lib
	body := []byte(`{"object":"list","data":[]}`)
	i := 0
	for _, name := range lib.Names() {
		e := lib.Lookup(name)
		if !e.Allows(x.Identity) {
			continue
		}
		var err error
		if body, err = sjson.SetRawBytes(body, "data."+strconv.Itoa(i), entryObject(e)); err != nil {
			return gwerror.Wrap(gwerror.Internal, err, "building the template list")
		}
		i++
	}
	x.Reply = &pipeline.Reply{Status: 200, Headers: jsonHeader, Body: body}
	return nil
}

func entryObject(e *Entry) []byte {
	b := []byte(`{"id":"","object":"prompt","description":"","versions":[]}`)
	b, _ = sjson.SetBytes(b, "id", e.Name) // plain strings and built JSON: cannot fail
	b, _ = sjson.SetBytes(b, "description", e.Description)
	for i, t := range e.Versions {
		b, _ = sjson.SetRawBytes(b, "versions."+strconv.Itoa(i), versionObject(e, t))
	}
	return b
}

func versionObject(e *Entry, t *template.Template) []byte {
	b := []byte(`{"version":"","model":"","weight":0,"variables":{}}`)
	b, _ = sjson.SetBytes(b, "version", t.Version)
	b, _ = sjson.SetBytes(b, "model", t.Model)
	b, _ = sjson.SetBytes(b, "weight", e.weight(t))
	b, _ = sjson.SetRawBytes(b, "variables", t.VariablesSchema())
	if t.ResponseFormat != nil {
		b, _ = sjson.SetRawBytes(b, "response_format", t.ResponseFormat)
	}
	return b
}

// weight is the version's share of unpinned calls in percent: 100 for the
// latest version when there is no rollout.
func (e *Entry) weight(t *template.Template) int64 {
	if e.total == 0 {
		if t == e.Versions[len(e.Versions)-1] {
			return 100
		}
		return 0
	}
	for _, s := range e.rollout {
		if s.t == t {
			return s.weight * 100 / e.total
		}
	}
	return 0
}
