package envoystandin

import (
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
)

// match picks the route Envoy's router would pick for h, or nil (404).
func (rt *routeTable) match(h *headerMap) *route {
	authority, _ := h.get(":authority")
	vh := rt.virtualHost(strings.ToLower(authority))
	if vh == nil {
		return nil
	}
	for _, r := range vh.routes {
		if r.matches(h) {
			return r
		}
	}
	return nil
}

// virtualHost follows Envoy's order: exact domain, then the longest suffix
// wildcard (*.example.com), then the longest prefix wildcard (api.*), then *.
func (rt *routeTable) virtualHost(host string) *virtualHost {
	var suffix, prefix, star *virtualHost
	suffixLen, prefixLen := -1, -1
	for _, vh := range rt.vhosts {
		for _, d := range vh.domains {
			d = strings.ToLower(d)
			switch {
			case d == host:
				return vh
			case d == "*":
				if star == nil {
					star = vh
				}
			case strings.HasPrefix(d, "*") && strings.HasSuffix(host, d[1:]) && len(d) > suffixLen:
				suffix, suffixLen = vh, len(d)
			case strings.HasSuffix(d, "*") && strings.HasPrefix(host, d[:len(d)-1]) && len(d) > prefixLen:
				prefix, prefixLen = vh, len(d)
			}
		}
	}
	switch {
	case suffix != nil:
		return suffix
	case prefix != nil:
		return prefix
	}
	return star
}

func (r *route) matches(h *headerMap) bool {
	path, _ := h.get(":path")
	if !r.pathMatches(path) {
		return false
	}
	for _, hm := range r.headers {
		if !hm.matches(h) {
			return false
		}
	}
	return true
}

func (r *route) pathMatches(path string) bool {
	want := r.prefix
	if r.exactPath {
		// `path` ignores the query string; `prefix` sees the whole :path.
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		want = r.path
	}
	if !r.caseSensitive {
		path, want = strings.ToLower(path), strings.ToLower(want)
	}
	if r.exactPath {
		return path == want
	}
	return strings.HasPrefix(path, want)
}

func (hm headerMatcher) matches(h *headerMap) bool {
	v, ok := h.joined(hm.name)
	var result bool
	switch {
	case hm.match == nil:
		result = ok == hm.present
	case !ok:
		// A missing header never matches a value matcher, inverted or not.
		return false
	default:
		result = hm.match(v)
	}
	return result != hm.invert
}

// applyHeadersToAdd applies route-level request/response header additions.
func applyHeadersToAdd(h *headerMap, add []*corev3.HeaderValueOption, remove []string) {
	for _, name := range remove {
		h.del(strings.ToLower(name))
	}
	for _, o := range add {
		key, value := strings.ToLower(o.GetHeader().GetKey()), o.GetHeader().GetValue()
		_, exists := h.get(key)
		switch o.GetAppendAction() {
		case corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD:
			if a := o.GetAppend(); a != nil && !a.GetValue() { //nolint:staticcheck // deprecated, and still honoured by Envoy
				h.set(key, value)
			} else {
				h.add(key, value)
			}
		case corev3.HeaderValueOption_ADD_IF_ABSENT:
			if !exists {
				h.add(key, value)
			}
		case corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD:
			h.set(key, value)
		case corev3.HeaderValueOption_OVERWRITE_IF_EXISTS:
			if exists {
				h.set(key, value)
			}
		}
	}
}
