package account

import (
	"sync"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/sse"
	"github.com/sluice-gw/sluice/pkg/tokens"
)

// sentCap bounds what a stream keeps of its own output. Past it, the count
// of the kept part is scaled by the bytes that went past, which keeps a
// long stream's memory fixed at the price of a rougher count.
const sentCap = 256 << 10

var sentPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// keep records a streamed chunk the client is about to receive.
func keep(a *pipeline.Admission, chunk []byte) {
	if len(chunk) == 0 {
		return
	}
	if a.Sent == nil {
		a.Sent = (*sentPool.Get().(*[]byte))[:0]
	}
	room := sentCap - len(a.Sent)
	if room >= len(chunk) {
		a.Sent = append(a.Sent, chunk...)
		return
	}
	if room > 0 {
		a.Sent = append(a.Sent, chunk[:room]...)
	}
	a.SentOver += len(chunk) - max(room, 0)
}

// release returns a stream's kept output to the pool.
func release(a *pipeline.Admission) {
	if a.Sent == nil {
		return
	}
	b := a.Sent[:0]
	a.Sent, a.SentOver = nil, 0
	if cap(b) <= 2*sentCap {
		sentPool.Put(&b)
	}
}

// sentOutputTokens counts the output text in what the client received: an
// OpenAI chat stream's content, refusal and tool-call argument deltas, or
// an Anthropic messages stream's text, thinking and tool-input deltas.
func sentOutputTokens(est *tokens.Estimator, anthropic bool, sent []byte, over int, model string) int64 {
	var text []byte
	var p sse.Parser
	_ = p.Feed(sent, func(ev sse.Event) error { //nolint:errcheck // a cut stream ends mid-event; what parsed is counted
		text = appendDeltaText(text, ev.Data, anthropic)
		return nil
	})
	n, err := est.CountText(string(text), tokens.ForModel(model))
	if err != nil {
		n = tokens.Approx(text)
	}
	if over > 0 && len(sent) > 0 {
		n += int(int64(n) * int64(over) / int64(len(sent)))
	}
	return int64(n)
}

func appendDeltaText(dst, data []byte, anthropic bool) []byte {
	if len(data) == 0 || data[0] != '{' {
		return dst // [DONE], keep-alives
	}
	if anthropic {
		d := gjson.GetBytes(data, "delta")
		for _, k := range [...]string{"text", "thinking", "partial_json"} {
			if v := d.Get(k); v.Exists() {
				dst = append(dst, v.Str...)
			}
		}
		return dst
	}
	gjson.GetBytes(data, "choices").ForEach(func(_, c gjson.Result) bool {
		d := c.Get("delta")
		for _, k := range [...]string{"content", "refusal", "reasoning_content"} {
			if v := d.Get(k); v.Type == gjson.String {
				dst = append(dst, v.Str...)
			}
		}
		d.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
			dst = append(dst, tc.Get("function.arguments").Str...)
			return true
		})
		return true
	})
	return dst
}

// replyOutputTokens counts the output text of a complete reply: an OpenAI
// chat completion's message content, refusals and tool-call arguments, or
// an Anthropic message's text, thinking and tool inputs.
func replyOutputTokens(est *tokens.Estimator, anthropic bool, body []byte, model string) int64 {
	var text []byte
	if anthropic {
		gjson.GetBytes(body, "content").ForEach(func(_, b gjson.Result) bool {
			for _, k := range [...]string{"text", "thinking"} {
				text = append(text, b.Get(k).Str...)
			}
			if in := b.Get("input"); in.Exists() {
				text = append(text, in.Raw...)
			}
			return true
		})
	} else {
		gjson.GetBytes(body, "choices").ForEach(func(_, c gjson.Result) bool {
			m := c.Get("message")
			text = append(text, m.Get("content").Str...)
			text = append(text, m.Get("refusal").Str...)
			m.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
				text = append(text, tc.Get("function.arguments").Str...)
				return true
			})
			return true
		})
	}
	n, err := est.CountText(string(text), tokens.ForModel(model))
	if err != nil {
		n = tokens.Approx(text)
	}
	return int64(n)
}
