package guard

import (
	"bytes"
	"context"

	"github.com/sluice-gw/sluice/pkg/sse"
)

// stream guards one chunk of a streamed answer. The route stage hands over
// whole events, but the parser keeps any event split across chunks.
func (e *exchange) stream(ctx context.Context, chunk []byte, end bool) []byte {
	if e.stopped {
		return nil // the client already has the terminator
	}
	// The last chunk's output has been sent on (a response stage's output
	// is read before the next chunk comes), so its buffer serves again.
	if cap(e.out) < len(chunk)+256 {
		e.out = make([]byte, 0, len(chunk)+256)
	}
	e.out = e.out[:0]
	err := e.parser.Feed(chunk, func(ev sse.Event) error {
		if !e.stopped {
			e.event(ctx, ev)
		}
		return nil
	})
	if err != nil && !e.stopped {
		// An event too large to check is never released unchecked.
		e.stop(&stopReason{kind: "stream", msg: "The response could not be checked."})
	}
	if end && !e.stopped {
		// The provider stream ended without its terminator (the route
		// stage has put its error event in this chunk): release nothing
		// unchecked, but what is held back is checked and released.
		e.flushAll(ctx)
	}
	return e.out
}

func (e *exchange) event(ctx context.Context, ev sse.Event) {
	data := bytes.TrimSpace(ev.Data)
	if e.anthropic {
		e.anthropicEvent(ctx, string(ev.Name), data)
		return
	}
	e.openaiEvent(ctx, data)
}

// text returns the text for a key, creating it.
func (e *exchange) text(choice, tool int, inJSON bool) *text {
	for _, k := range e.texts {
		if k.choice == choice && k.tool == tool {
			return k.t
		}
	}
	t := &text{inJSON: inJSON}
	e.texts = append(e.texts, keyed{choice: choice, tool: tool, t: t})
	return t
}

// flushAll releases every text still open, at the end of the stream.
func (e *exchange) flushAll(ctx context.Context) {
	if e.anthropic {
		for _, k := range e.texts {
			if !k.t.done && !e.stopped {
				e.flushBlock(ctx, k.tool)
			}
		}
		return
	}
	for _, k := range e.texts {
		if !k.t.done && !e.stopped {
			e.finishChoice(ctx, k.choice)
		}
	}
}

// stop ends the stream in the client's format.
func (e *exchange) stop(why *stopReason) {
	e.noteStop(why)
	if e.anthropic {
		e.anthropicStop(why)
	} else {
		e.openaiStop(why)
	}
	e.stopped = true
}
