package guard

import (
	"bytes"
	"slices"
	"sort"
	"strings"

	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// pseudonyms restores the placeholders (<EMAIL_ADDRESS_1>) the request
// stage sent the provider to the values the client wrote.
type pseudonyms struct {
	values map[string]string
	keys   []string // sorted, for prefix search
	maxLen int
}

func newPseudonyms(m map[string]string) *pseudonyms {
	if len(m) == 0 {
		return nil
	}
	p := &pseudonyms{values: m, keys: make([]string, 0, len(m))}
	for k := range m {
		if len(k) < 2 || k[0] != '<' || k[len(k)-1] != '>' {
			continue // not a placeholder this stage knows how to find
		}
		p.keys = append(p.keys, k)
		p.maxLen = max(p.maxLen, len(k))
	}
	if len(p.keys) == 0 {
		return nil
	}
	slices.Sort(p.keys)
	return p
}

// startsKey reports whether s is a proper prefix of a placeholder.
func (p *pseudonyms) startsKey(s []byte) bool {
	k := sort.SearchStrings(p.keys, string(s))
	for ; k < len(p.keys) && strings.HasPrefix(p.keys[k], string(s)); k++ {
		if len(p.keys[k]) > len(s) {
			return true
		}
	}
	return false
}

// keyAt returns the length of the placeholder starting text, or 0.
func (p *pseudonyms) keyAt(text []byte) int {
	end := bytes.IndexByte(text[:min(len(text), p.maxLen)], '>')
	if end < 0 {
		return 0
	}
	if _, ok := p.values[string(text[:end+1])]; ok {
		return end + 1
	}
	return 0
}

// cut moves cut back to the start of a placeholder that it would split:
// a whole one straddling it, or, unless final, one still arriving at the
// end of text.
func (p *pseudonyms) cut(text []byte, cut int, final bool) int {
	for i := max(0, cut-p.maxLen+1); i < cut; i++ {
		if text[i] != '<' {
			continue
		}
		if n := p.keyAt(text[i:]); n > 0 {
			if i+n > cut {
				return i
			}
			continue
		}
		if !final && p.startsKey(text[i:]) {
			return i
		}
	}
	return cut
}

// restore appends text to dst with every placeholder replaced by its
// value; inJSON escapes the value for the inside of a JSON string (tool
// call arguments are JSON text).
func (p *pseudonyms) restore(dst, text []byte, inJSON bool) []byte {
	for {
		i := bytes.IndexByte(text, '<')
		if i < 0 {
			return append(dst, text...)
		}
		dst = append(dst, text[:i]...)
		text = text[i:]
		n := p.keyAt(text)
		if n == 0 {
			dst = append(dst, '<')
			text = text[1:]
			continue
		}
		v := p.values[string(text[:n])]
		if inJSON {
			at := len(dst)
			dst = rawjson.AppendString(dst, v)
			copy(dst[at:], dst[at+1:len(dst)-1]) // drop the quotes
			dst = dst[:len(dst)-2]
		} else {
			dst = append(dst, v...)
		}
		text = text[n:]
	}
}
