package envoystandin

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
)

// mutationRules mirrors Envoy's HeaderMutationRules checker
// (source/extensions/filters/common/mutation_rules).
type mutationRules struct {
	allowAllRouting, allowEnvoy, disallowSystem, disallowAll, disallowIsError bool
	allow, disallow                                                           *regexp.Regexp
}

// routingHeaders may only change with allow_all_routing.
var routingHeaders = map[string]bool{"host": true, ":authority": true, ":scheme": true, ":method": true}

func (m *mutationRules) allowed(name string, remove bool) bool {
	if remove && (strings.HasPrefix(name, ":") || name == "host") {
		return false // never, whatever the rules say
	}
	switch {
	case m.disallow != nil && m.disallow.MatchString(name):
		return false
	case m.allow != nil && m.allow.MatchString(name):
		return true
	case m.disallowAll:
		return false
	case !m.allowAllRouting && routingHeaders[name]:
		return false
	case m.disallowSystem && strings.HasPrefix(name, ":"):
		return false
	case !m.allowEnvoy && strings.HasPrefix(name, "x-envoy"):
		return false
	}
	return true
}

// errMutation fails the request with a 500 local reply, as Envoy does for a
// rejected mutation under disallow_is_error or a malformed one.
var errMutation = errors.New("header mutation rejected")

// applyHeaderMutation applies m to h under the rules. Rejections that the
// rules only ignore are counted in *rejected.
func (m *mutationRules) apply(mut *extprocv3.HeaderMutation, h *headerMap, rejected *int) error {
	if mut == nil {
		return nil
	}
	for _, name := range mut.GetRemoveHeaders() {
		name = strings.ToLower(name)
		if !validHeaderName(name) {
			*rejected++
			return fmt.Errorf("%w: invalid character in remove_headers %q", errMutation, name)
		}
		if err := m.check(name, true, rejected); err != nil {
			return err
		} else if m.allowed(name, true) {
			h.del(name)
		}
	}
	for _, opt := range mut.GetSetHeaders() {
		if err := m.set(opt, h, rejected); err != nil {
			return err
		}
	}
	return nil
}

// check counts a disallowed mutation, and turns it into an error under
// disallow_is_error.
func (m *mutationRules) check(name string, remove bool, rejected *int) error {
	if m.allowed(name, remove) {
		return nil
	}
	*rejected++
	if m.disallowIsError {
		return fmt.Errorf("%w: %q may not be changed", errMutation, name)
	}
	return nil
}

func (m *mutationRules) set(opt *corev3.HeaderValueOption, h *headerMap, rejected *int) error {
	hv := opt.GetHeader()
	if hv == nil {
		return nil
	}
	if hv.GetValue() != "" && len(hv.GetRawValue()) > 0 {
		*rejected++
		return fmt.Errorf("%w: both value and raw_value set for %q", errMutation, hv.GetKey())
	}
	// Envoy reads raw_value only; a header sent in `value` alone becomes empty.
	name, value := strings.ToLower(hv.GetKey()), string(hv.GetRawValue())
	if !validHeaderName(name) || !validHeaderValue(value) {
		*rejected++
		return fmt.Errorf("%w: invalid character in set_headers %q", errMutation, name)
	}
	_, exists := h.get(name)
	var appendValue bool
	switch opt.GetAppendAction() {
	case corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD:
		// The zero value: the deprecated `append` flag decides, false by default.
		appendValue = opt.GetAppend().GetValue() //nolint:staticcheck // deprecated, and still honoured by Envoy
	case corev3.HeaderValueOption_ADD_IF_ABSENT:
		if exists {
			return nil
		}
	case corev3.HeaderValueOption_OVERWRITE_IF_EXISTS:
		if !exists {
			return nil
		}
	}
	if err := m.check(name, false, rejected); err != nil || !m.allowed(name, false) {
		return err
	}
	if appendValue {
		h.add(name, value)
	} else {
		h.set(name, value)
	}
	return nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '(' || c == ')' || c == ',' || c == '/' ||
			c == ';' || c == '<' || c == '=' || c == '>' || c == '?' || c == '@' || c == '[' ||
			c == '\\' || c == ']' || c == '{' || c == '}' || (c == ':' && i > 0) {
			return false
		}
	}
	return true
}

func validHeaderValue(s string) bool {
	for i := range len(s) {
		if c := s[i]; c == 0 || c == '\r' || c == '\n' {
			return false
		}
	}
	return true
}
