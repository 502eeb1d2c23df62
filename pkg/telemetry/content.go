package telemetry

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"

	"github.com/sluice-gw/sluice/pkg/pii"
)

// Masker replaces sensitive values in text (PII, secrets) with a
// placeholder such as <EMAIL_ADDRESS>, appending the result to dst.
type Masker func(dst, text []byte) []byte

// message is one entry of gen_ai.input.messages / gen_ai.output.messages.
type message struct {
	Role         string `json:"role"`
	Parts        []part `json:"parts"`
	FinishReason string `json:"finish_reason,omitempty"`
}

type part struct {
	Type    string `json:"type"`
	Content string `json:"content"`
}

// content records the prompt's last user message and the completion, each
// masked and cut to the configured size. Content is recorded only when
// capture_content is on and a masker is set: never raw.
func (r *request) content() {
	limit := r.capture()
	if limit <= 0 || r.t.mask == nil {
		return
	}
	var attrs []attribute.KeyValue
	if in := r.x.Summary.LastUserMessage; in != "" {
		attrs = append(attrs, r.messages("gen_ai.input.messages",
			message{Role: "user", Parts: []part{{Type: "text", Content: r.masked([]byte(in), limit)}}}))
	}
	if len(r.resp.completion) > 0 {
		m := message{Role: "assistant", Parts: []part{{Type: "text", Content: r.masked(r.resp.completion, limit)}}}
		if len(r.resp.finish) > 0 {
			m.FinishReason = r.resp.finish[0]
		}
		attrs = append(attrs, r.messages("gen_ai.output.messages", m))
	}
	r.span.SetAttributes(attrs...)
}

func (r *request) messages(key string, m message) attribute.KeyValue {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // placeholders are <TYPE>; keep them readable
	if err := enc.Encode([]message{m}); err != nil {
		return attribute.String(key, "")
	}
	return attribute.String(key, strings.TrimSuffix(b.String(), "\n"))
}

// masked masks text, then bounds it: masking first, so a cut never leaves
// half a secret unmasked.
func (r *request) masked(text []byte, limit int) string {
	out := r.t.mask(nil, text)
	if len(out) > limit {
		out = out[:limit]
		for len(out) > 0 && !utf8.Valid(out) {
			out = out[:len(out)-1]
		}
	}
	return string(out)
}

// PIIMasker masks every finding of scanner as <TYPE>.
func PIIMasker(scanner *pii.Scanner) Masker {
	return func(dst, text []byte) []byte {
		at := 0
		for _, f := range scanner.Scan(nil, text) {
			if f.Start < at || f.End > len(text) || f.Start > f.End {
				continue // never trust offsets blindly
			}
			dst = append(dst, text[at:f.Start]...)
			dst = append(dst, '<')
			dst = append(dst, f.Type...)
			dst = append(dst, '>')
			at = f.End
		}
		return append(dst, text[at:]...)
	}
}
