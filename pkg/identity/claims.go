package identity

import (
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"
)

// jwtPayload finds the verified payload jwt_authn stored: under the
// configured payload key, else the first entry of the namespace, in key
// order, that is an object. Istio keys payloads by issuer; a plain Envoy
// jwt_authn uses its payload_in_metadata name.
func (r *Resolver) jwtPayload(md map[string]*structpb.Struct) map[string]any {
	ns := md[r.cfg.JWT.MetadataNamespace]
	if len(ns.GetFields()) == 0 {
		return nil
	}
	if k := r.cfg.JWT.PayloadKey; k != "" {
		if s := ns.GetFields()[k].GetStructValue(); s != nil {
			return s.AsMap()
		}
		return nil
	}
	keys := make([]string, 0, len(ns.GetFields()))
	for k := range ns.GetFields() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if s := ns.GetFields()[k].GetStructValue(); s != nil {
			return s.AsMap()
		}
	}
	return nil
}

// claim finds a claim by its exact name, else by a dotted path into nested
// objects ("realm_access.roles"). Namespaced claim names contain dots
// themselves ("https://acme.example/tenant"), hence the exact try first.
func claim(payload map[string]any, name string) (any, bool) {
	if name == "" || payload == nil {
		return nil, false
	}
	if v, ok := payload[name]; ok {
		return v, true
	}
	var cur any = payload
	for part := range strings.SplitSeq(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// claimString reads a string claim; numbers and booleans are written out.
func claimString(payload map[string]any, name string) string {
	v, _ := claim(payload, name)
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	}
	return ""
}

// claimList reads a list claim: a list of strings, or one string of
// space- or comma-separated values (as OAuth's scope claim is).
func claimList(payload map[string]any, name string) []string {
	v, _ := claim(payload, name)
	switch t := v.(type) {
	case string:
		return splitList(t)
	case []any:
		out := make([]string, 0, len(t))
		for _, item := range t {
			if s, ok := item.(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// splitList splits on commas and white space, dropping empty items.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t'
	})
}
