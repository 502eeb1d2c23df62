package template

import (
	"fmt"
	"strings"
)

// segment is a literal run of text, or a variable (var >= 0, an index
// into the template's variables). Templates are split into segments once,
// at load, so rendering is a walk over a slice: no scanning, no regexp.
type segment struct {
	text string
	v    int
}

// maxNameLen bounds a {{name}} so a stray "{{" far from its "}}" is
// reported as what it is.
const maxNameLen = 64

// parseText splits text at its {{name}} references. lookup maps a name to
// its variable index; an unknown name, an unclosed "{{" or an empty name
// is an error. Spaces inside the braces are ignored ({{ name }}).
func parseText(text string, lookup func(string) (int, bool)) ([]segment, error) {
	var segs []segment
	for text != "" {
		open := strings.Index(text, "{{")
		if open < 0 {
			segs = append(segs, segment{text: text, v: -1})
			break
		}
		if open > 0 {
			segs = append(segs, segment{text: text[:open], v: -1})
		}
		rest := text[open+2:]
		end := strings.Index(rest, "}}")
		if end < 0 {
			return nil, fmt.Errorf("unclosed {{ at byte %d", open)
		}
		name := strings.TrimSpace(rest[:end])
		switch {
		case name == "":
			return nil, fmt.Errorf("empty {{}} at byte %d", open)
		case len(name) > maxNameLen || strings.ContainsAny(name, "{} \t\n"):
			return nil, fmt.Errorf("invalid variable reference {{%s}} at byte %d", truncate(name, maxNameLen), open)
		}
		i, ok := lookup(name)
		if !ok {
			return nil, fmt.Errorf("{{%s}} names no declared variable", name)
		}
		segs = append(segs, segment{v: i})
		text = rest[end+2:]
	}
	return segs, nil
}

// expand writes the segments with vals inserted. Values are inserted as
// text and never scanned again, so a value holding "{{other}}" stays
// literal.
func expand(b *strings.Builder, segs []segment, vals []string) {
	for _, s := range segs {
		if s.v < 0 {
			b.WriteString(s.text)
		} else {
			b.WriteString(vals[s.v])
		}
	}
}

// size is the length of the expanded text, so the builder grows once.
func size(segs []segment, vals []string) int {
	n := 0
	for _, s := range segs {
		if s.v < 0 {
			n += len(s.text)
		} else {
			n += len(vals[s.v])
		}
	}
	return n
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
