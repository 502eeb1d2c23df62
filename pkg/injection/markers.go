package injection

import "bytes"

// markers are the role and turn delimiters of chat templates and prompt
// formats, lower case. Text that carries one is trying to end the real
// turn and open a fake one.
var markers = [...]string{
	"<<sys>>", "<</sys>>", "<system>", "</system>", "<system_prompt>", "</system_prompt>",
	"<sys>", "</sys>", "<instructions>", "</instructions>", "<start_of_turn>", "<end_of_turn>",
	"[inst]", "[/inst]", "[system]", "[system message]", "[sys]", "[/sys]",
	"```system", "\nsystem:", "\n\nhuman:", "\nsystem prompt:", "\n[system",
}

// markerFirst marks the bytes a marker can start with.
var markerFirst = func() (t [256]bool) {
	for _, m := range markers {
		t[m[0]] = true
	}
	t['<'], t['#'] = true, true
	return t
}()

// hasMarker reports whether lower-cased text carries a chat-template
// delimiter: one of markers, a "<|name|>" special token, a "## system"
// heading, or a "system:" label opening the text.
func hasMarker(text []byte) bool {
	if bytes.HasPrefix(text, []byte("system:")) {
		return true
	}
	for i, c := range text {
		if !markerFirst[c] {
			continue
		}
		rest := text[i:]
		switch {
		case c == '<' && specialToken(rest):
			return true
		case c == '#' && (i == 0 || text[i-1] != '#') && systemHeading(rest):
			return true
		}
		for _, m := range markers {
			if m[0] == c && bytes.HasPrefix(rest, []byte(m)) {
				return true
			}
		}
	}
	return false
}

// specialToken reports a "<|im_start|>"-style token at the start of b.
func specialToken(b []byte) bool {
	if len(b) < 4 || b[1] != '|' {
		return false
	}
	for i := 2; i < len(b) && i < 32; i++ {
		c := b[i]
		switch {
		case c == '|':
			return i > 2 && i+1 < len(b) && b[i+1] == '>'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		default:
			return false
		}
	}
	return false
}

// systemHeading reports a Markdown heading of two or more hashes naming
// the system role at the start of b. Callers try only the first hash of a
// run, which keeps a long run of hashes linear.
func systemHeading(b []byte) bool {
	i := 0
	for i < len(b) && b[i] == '#' {
		i++
	}
	if i < 2 {
		return false
	}
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return bytes.HasPrefix(b[i:], []byte("system"))
}
