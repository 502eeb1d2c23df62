// Package sse is an incremental parser and writer for Server-Sent Events
// (the WHATWG event-stream format). Providers split events across network
// chunks at arbitrary byte offsets, so the parser keeps the unfinished tail
// between calls and never assumes a chunk holds whole lines.
package sse

import (
	"bytes"
	"errors"
)

// Event is one dispatched event. Data and Name alias the parser's buffer and
// are only valid inside the callback.
type Event struct {
	Name []byte // the `event:` field; empty means "message"
	Data []byte // `data:` lines joined with "\n"
	ID   []byte
}

// ErrTooLarge is returned when a single event exceeds the parser's limit.
var ErrTooLarge = errors.New("sse: event exceeds size limit")

// Parser turns a byte stream into events. The zero value is ready to use
// with no size limit; set MaxEventBytes to bound memory.
type Parser struct {
	MaxEventBytes int

	tail    []byte // bytes after the last complete line
	name    []byte
	data    []byte
	id      []byte
	hasData bool
	skipLF  bool // previous chunk ended in '\r'; a leading '\n' belongs to it
}

// Feed consumes chunk and calls fn for each complete event. An error from fn
// stops parsing and is returned.
func (p *Parser) Feed(chunk []byte, fn func(Event) error) error {
	if p.skipLF && len(chunk) > 0 {
		if chunk[0] == '\n' {
			chunk = chunk[1:]
		}
		p.skipLF = false
	}
	buf := chunk
	// The buffered tail holds no line break (it would have been consumed),
	// so scanning resumes where it ended: a long line arriving in many
	// small chunks costs linear, not quadratic, time.
	scan := 0
	if len(p.tail) > 0 {
		scan = len(p.tail)
		p.tail = append(p.tail, chunk...)
		buf = p.tail
	}
	consumed := 0
	lb := lineBreaks{buf: buf, lf: -1}
	for {
		at := lb.next(max(consumed, scan))
		if at < 0 {
			break
		}
		line := buf[consumed:at]
		consumed = at + 1
		if buf[consumed-1] == '\r' {
			if consumed < len(buf) {
				if buf[consumed] == '\n' {
					consumed++
				}
			} else {
				p.skipLF = true
			}
		}
		if err := p.line(line, fn); err != nil {
			return err
		}
	}
	rest := buf[consumed:]
	if p.MaxEventBytes > 0 && len(rest)+len(p.data) > p.MaxEventBytes {
		return ErrTooLarge
	}
	// Copy the remainder: chunk belongs to the caller.
	p.tail = append(p.tail[:0], rest...)
	return nil
}

// lineBreaks finds the line breaks of buf in order. Two IndexByte scans
// beat one IndexAny, which tests the bytes one by one; the position of
// the next '\n' is kept, so that lines ending in '\r' alone do not make
// every line scan to the end of buf for one.
type lineBreaks struct {
	buf []byte
	lf  int // the next '\n' at or after the last search, len(buf) if none; -1 before the first
}

// next is the index of the first '\r' or '\n' at or after from, or -1.
// from must not decrease between calls.
func (l *lineBreaks) next(from int) int {
	if l.lf < from {
		l.lf = len(l.buf)
		if n := bytes.IndexByte(l.buf[from:], '\n'); n >= 0 {
			l.lf = from + n
		}
	}
	if r := bytes.IndexByte(l.buf[from:l.lf], '\r'); r >= 0 {
		return from + r
	}
	if l.lf < len(l.buf) {
		return l.lf
	}
	return -1
}

func (p *Parser) line(line []byte, fn func(Event) error) error {
	if len(line) == 0 {
		return p.dispatch(fn)
	}
	if line[0] == ':' {
		return nil // comment, used by servers as keep-alive
	}
	field, value := line, []byte(nil)
	if c := bytes.IndexByte(line, ':'); c >= 0 {
		field, value = line[:c], line[c+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(field) {
	case "data":
		if p.hasData {
			p.data = append(p.data, '\n')
		}
		p.data = append(p.data, value...)
		p.hasData = true
		if p.MaxEventBytes > 0 && len(p.data) > p.MaxEventBytes {
			return ErrTooLarge
		}
	case "event":
		p.name = append(p.name[:0], value...)
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			p.id = append(p.id[:0], value...)
		}
	}
	return nil
}

func (p *Parser) dispatch(fn func(Event) error) error {
	if !p.hasData && len(p.name) == 0 {
		return nil
	}
	ev := Event{Name: p.name, Data: p.data, ID: p.id}
	err := fn(ev)
	p.name, p.data, p.hasData = p.name[:0], p.data[:0], false
	return err
}

// Pending reports whether bytes of an unfinished event are buffered. At the
// end of a stream this means the provider cut the stream mid-event.
func (p *Parser) Pending() bool {
	return len(p.tail) > 0 || p.hasData || len(p.name) > 0
}

// AppendEvent appends one event in wire form to dst. Data containing
// newlines is split over several `data:` lines so it round-trips.
func AppendEvent(dst []byte, name string, data []byte) []byte {
	if name != "" {
		dst = append(dst, "event: "...)
		dst = append(dst, name...)
		dst = append(dst, '\n')
	}
	for {
		i := bytes.IndexByte(data, '\n')
		dst = append(dst, "data: "...)
		if i < 0 {
			dst = append(dst, data...)
			dst = append(dst, '\n')
			break
		}
		dst = append(dst, data[:i]...)
		dst = append(dst, '\n')
		data = data[i+1:]
	}
	return append(dst, '\n')
}

// AppendData appends a data-only event (`data: ...\n\n`), the form OpenAI uses.
func AppendData(dst, data []byte) []byte { return AppendEvent(dst, "", data) }

// Done is OpenAI's stream terminator.
var Done = []byte("data: [DONE]\n\n")
