package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrInvalid matches every error that rejects a config file, so a caller can
// tell a bad config from, say, a missing one with errors.Is.
var ErrInvalid = errors.New("invalid config")

// ErrCredential matches errors about a secret that could not be read: a
// backend credential's unset environment variable or unreadable file, or an
// unreadable API keys file.
var ErrCredential = errors.New("credential unavailable")

// Error is one problem in a config file. Path is the entry's location in the
// document (backends[2].credential), so a user can find it without counting
// list items; Line is the YAML line where Sluice could tell it, else 0.
type Error struct {
	File string
	Line int
	Path string
	Msg  string
	// Err is the underlying cause, if any, for errors.Is and errors.As.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":")
			b.WriteString(strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap exposes the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports every config Error as ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// problems collects every error in a file rather than stopping at the first,
// so one `sluice validate` run shows the user everything to fix.
type problems struct {
	file string
	// lines maps a document path to the line it was written on. Validation
	// runs on the decoded proto, which has no positions, and looks them up
	// here.
	lines map[string]int
	errs  []error
}

func newProblems(file string) *problems {
	return &problems{file: file, lines: map[string]int{}}
}

// at records a problem at an explicit line, as the decoder knows it.
func (p *problems) at(line int, path string, cause error, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...), Err: cause})
}

// add records a problem found after decoding, at the line of the path or of
// its nearest written ancestor (a missing field reports its parent's line).
func (p *problems) add(path, format string, args ...any) {
	p.at(p.line(path), path, nil, format, args...)
}

func (p *problems) line(path string) int {
	for path != "" {
		if l, ok := p.lines[path]; ok {
			return l
		}
		path = parent(path)
	}
	return 0
}

func (p *problems) err() error { return errors.Join(p.errs...) }

// parent strips the last segment of a path: a.b[2] -> a.b -> a -> "".
func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// join appends a field name to a path.
func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// index appends a list index to a path.
func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}
