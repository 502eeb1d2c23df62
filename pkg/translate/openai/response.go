package openai

import (
	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// Response passes the body through untouched and reads its usage. One pass
// checks the body and finds the usage.
func (tr *translator) Response(_ *translate.Request, body []byte) (*translate.Response, error) {
	usage, object, ok := rawjson.Lookup(body, "usage")
	if !ok || !object {
		return nil, gwerror.New(gwerror.UpstreamError, "provider %s returned a malformed response body", tr.provider)
	}
	return &translate.Response{Body: body, Usage: oaiwire.ParseUsage(usage)}, nil
}
