package envoystandin

import (
	"net/http"
	"slices"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
)

// header is one entry of an Envoy header map: lower-case key, raw value.
type header struct{ key, value string }

// headerMap keeps headers the way Envoy's header map does: ordered, lower-case
// keys, repeated keys as separate entries, pseudo-headers first.
type headerMap struct{ entries []header }

func (h *headerMap) get(key string) (string, bool) {
	for _, e := range h.entries {
		if e.key == key {
			return e.value, true
		}
	}
	return "", false
}

// joined is how Envoy's route matcher sees a repeated header: values joined with ",".
func (h *headerMap) joined(key string) (string, bool) {
	var vals []string
	for _, e := range h.entries {
		if e.key == key {
			vals = append(vals, e.value)
		}
	}
	return strings.Join(vals, ","), len(vals) > 0
}

func (h *headerMap) set(key, value string) {
	h.del(key)
	h.add(key, value)
}

func (h *headerMap) add(key, value string) {
	e := header{key, value}
	if strings.HasPrefix(key, ":") {
		// Pseudo-headers stay in front of regular ones.
		i := slices.IndexFunc(h.entries, func(e header) bool { return !strings.HasPrefix(e.key, ":") })
		if i >= 0 {
			h.entries = slices.Insert(h.entries, i, e)
			return
		}
	}
	h.entries = append(h.entries, e)
}

func (h *headerMap) del(key string) {
	h.entries = slices.DeleteFunc(h.entries, func(e header) bool { return e.key == key })
}

func (h *headerMap) clone() *headerMap {
	return &headerMap{entries: slices.Clone(h.entries)}
}

// proto renders the map for ext_proc, keeping only headers forward_rules allow.
func (h *headerMap) proto(allowed func(string) bool) *corev3.HeaderMap {
	out := &corev3.HeaderMap{}
	for _, e := range h.entries {
		if allowed(e.key) {
			out.Headers = append(out.Headers, &corev3.HeaderValue{Key: e.key, RawValue: []byte(e.value)})
		}
	}
	return out
}

// httpHeader renders the regular (non-pseudo) headers for net/http.
func (h *headerMap) httpHeader() http.Header {
	out := http.Header{}
	for _, e := range h.entries {
		if !strings.HasPrefix(e.key, ":") && !hopByHop[e.key] {
			out.Add(e.key, e.value)
		}
	}
	return out
}

// hopByHop headers belong to one connection and are never forwarded.
var hopByHop = map[string]bool{
	"connection": true, "keep-alive": true, "proxy-connection": true,
	"transfer-encoding": true, "upgrade": true, "te": true, "trailer": true,
}

// fromHTTP adds net/http headers in a stable (sorted) order; net/http does not
// keep the order they arrived in.
func (h *headerMap) fromHTTP(hdr http.Header) {
	keys := make([]string, 0, len(hdr))
	for k := range hdr {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		lk := strings.ToLower(k)
		if hopByHop[lk] {
			continue
		}
		for _, v := range hdr[k] {
			h.add(lk, v)
		}
	}
}

// requestHeaders builds the header map Envoy's HCM hands to its filters.
func requestHeaders(r *http.Request, scheme string) *headerMap {
	h := &headerMap{}
	h.add(":authority", r.Host)
	path := r.RequestURI
	if path == "" {
		path = r.URL.RequestURI()
	}
	h.add(":path", path)
	h.add(":method", r.Method)
	h.add(":scheme", scheme)
	h.fromHTTP(r.Header)
	return h
}
