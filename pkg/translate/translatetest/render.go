package translatetest

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// RenderUpstream renders an upstream request, or the error that replaced
// it, as stable text for a golden file.
func RenderUpstream(up *translate.Upstream, err error, prettyBody bool) []byte {
	if err != nil {
		return RenderError(err)
	}
	var b strings.Builder
	method := up.Method
	if method == "" {
		method = "POST"
	}
	fmt.Fprintf(&b, "%s %s\n", method, up.Path)
	for _, h := range up.Headers {
		fmt.Fprintf(&b, "%s: %s\n", h.Key, h.Value)
	}
	b.WriteString("\n")
	b.Write(body(up.Body, prettyBody))
	return []byte(b.String())
}

// RenderResponse renders a translated response, or its error.
func RenderResponse(resp *translate.Response, err error) []byte {
	if err != nil {
		return RenderError(err)
	}
	var b strings.Builder
	b.Write(body(resp.Body, true))
	b.WriteString("--- usage ---\n")
	b.WriteString(RenderUsage(resp.Usage))
	return []byte(b.String())
}

// RenderUsage renders usage on one line.
func RenderUsage(u translate.Usage) string {
	return fmt.Sprintf("input=%d output=%d cached=%d cache_write=%d reasoning=%d estimated=%t\n",
		u.InputTokens, u.OutputTokens, u.CachedInputTokens, u.CacheWriteTokens, u.ReasoningTokens, u.Estimated)
}

// RenderError renders an error with everything a client would see.
func RenderError(err error) []byte {
	var ge *gwerror.Error
	if !errors.As(err, &ge) {
		return []byte(fmt.Sprintf("error (not a *gwerror.Error): %v\n", err))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "error: HTTP %d %s\n", ge.HTTPStatus(), ge.Code)
	keys := make([]string, 0, len(ge.Headers))
	for k := range ge.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, ge.Headers[k])
	}
	b.WriteString("\n")
	b.Write(ge.Body())
	b.WriteString("\n")
	return []byte(b.String())
}

func body(b []byte, pretty bool) []byte {
	if pretty && gjson.ValidBytes(b) {
		return []byte(gjson.GetBytes(b, "@pretty").Raw)
	}
	out := append([]byte(nil), b...)
	if len(out) == 0 || out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return out
}
