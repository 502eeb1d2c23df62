package policy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

var (
	denyStatuses     = map[int]bool{401: true, 403: true, 429: true}
	stickyValues     = map[string]bool{"": true, "user": true, "key": true, "tenant": true, "session": true}
	auditLevels      = map[string]bool{"": true, "minimal": true, "standard": true, "full": true}
	redactionActions = map[string]bool{
		"allow": true, "log": true, "mask": true, "hash": true, "pseudonymize": true, "block": true,
	}
)

// malformedError is a contract violation at path (e.g.
// route.split[1].weight). It matches ErrMalformed.
type malformedError struct{ path, msg string }

func (e *malformedError) Error() string { return ErrMalformed.Error() + ": " + e.path + ": " + e.msg }

func (e *malformedError) Unwrap() error { return ErrMalformed }

func malformed(path, format string, args ...any) error {
	return &malformedError{path: path, msg: fmt.Sprintf(format, args...)}
}

// parseDecision checks the policy's result against the decision contract.
// n limits the backends and models a route may name.
func parseDecision(t *ast.Term, n names) (*Decision, error) {
	obj, ok := t.Value.(ast.Object)
	if !ok {
		return nil, malformed("decision", "want an object, got %s", ast.ValueName(t.Value))
	}
	d := &Decision{}
	var err error
	if v := obj.Get(kAllow); v != nil {
		b, ok := v.Value.(ast.Boolean)
		if !ok {
			return nil, malformed("allow", "want a boolean, got %s", ast.ValueName(v.Value))
		}
		d.Allow = bool(b)
	}
	if d.Status, err = parseStatus(obj.Get(kStatus)); err != nil {
		return nil, err
	}
	if d.Reason, err = optString(obj.Get(kReason), "reason"); err != nil {
		return nil, err
	}
	if d.Reasons, err = stringList(obj.Get(kReasons), "reasons"); err != nil {
		return nil, err
	}
	if d.Route, err = parseRoute(obj.Get(kRoute), n); err != nil {
		return nil, err
	}
	if d.Headers, err = parseHeaders(obj.Get(kHeaders)); err != nil {
		return nil, err
	}
	if d.Overrides, err = parseOverrides(obj.Get(kOverrides)); err != nil {
		return nil, err
	}
	if d.LimitClass, err = optString(obj.Get(kLimitClass), "limit_class"); err != nil {
		return nil, err
	}
	if d.Audit, err = optString(obj.Get(kAudit), "audit"); err != nil {
		return nil, err
	}
	if !auditLevels[d.Audit] {
		return nil, malformed("audit", "want minimal, standard or full, got %q", d.Audit)
	}
	if d.Models, err = stringList(obj.Get(kModels), "models"); err != nil {
		return nil, err
	}
	if d.Prompt, err = parsePrompt(obj.Get(kPrompt)); err != nil {
		return nil, err
	}
	if d.Allow {
		d.Status = 0
	} else if d.Reason == "" {
		d.Reason = reasonDenied
	}
	return d, nil
}

func parseStatus(t *ast.Term) (int, error) {
	if t == nil {
		return 403, nil
	}
	num, ok := t.Value.(ast.Number)
	if !ok {
		return 0, malformed("status", "want a number, got %s", ast.ValueName(t.Value))
	}
	s, ok := num.Int()
	if !ok || !denyStatuses[s] {
		return 0, malformed("status", "want 401, 403 or 429, got %s", num)
	}
	return s, nil
}

func parseRoute(t *ast.Term, n names) (Route, error) {
	var r Route
	obj, err := optObject(t, "route")
	if err != nil || obj == nil {
		return r, err
	}
	if r.Model, err = optString(obj.Get(kModel), "route.model"); err != nil {
		return r, err
	}
	if r.Model != "" && !known(n.models, r.Model) {
		return r, malformed("route.model", "unknown model %q", r.Model)
	}
	if r.Backend, err = optString(obj.Get(kBackend), "route.backend"); err != nil {
		return r, err
	}
	if r.Backend != "" && !known(n.backends, r.Backend) {
		return r, malformed("route.backend", "unknown backend %q", r.Backend)
	}
	if r.Split, err = parseTargets(obj.Get(kSplit), "route.split", true, n); err != nil {
		return r, err
	}
	if r.Sticky, err = optString(obj.Get(kSticky), "route.sticky"); err != nil {
		return r, err
	}
	if !stickyValues[r.Sticky] {
		return r, malformed("route.sticky", "want user, key, tenant, session or empty, got %q", r.Sticky)
	}
	r.Fallback, err = parseTargets(obj.Get(kFallback), "route.fallback", false, n)
	return r, err
}

func parseTargets(t *ast.Term, path string, weighted bool, n names) ([]Target, error) {
	if t == nil {
		return nil, nil
	}
	arr, ok := t.Value.(*ast.Array)
	if !ok {
		return nil, malformed(path, "want an array, got %s", ast.ValueName(t.Value))
	}
	targets := make([]Target, arr.Len())
	for i := range targets {
		if err := parseTarget(&targets[i], arr.Elem(i), weighted, n); err != nil {
			// Paths are only formatted for a decision that is wrong.
			var me *malformedError
			if errors.As(err, &me) {
				me.path = fmt.Sprintf("%s[%d]%s", path, i, me.path)
			}
			return nil, err
		}
	}
	return targets, nil
}

// parseTarget reports errors at paths relative to the target (".model").
func parseTarget(tg *Target, t *ast.Term, weighted bool, n names) error {
	obj, err := optObject(t, "")
	if err != nil {
		return err
	}
	if obj == nil {
		return malformed("", "want an object, got null")
	}
	if tg.Model, err = optString(obj.Get(kModel), ".model"); err != nil {
		return err
	}
	if tg.Model == "" || !known(n.models, tg.Model) {
		return malformed(".model", "unknown model %q", tg.Model)
	}
	if tg.Backend, err = optString(obj.Get(kBackend), ".backend"); err != nil {
		return err
	}
	if tg.Backend != "" && !known(n.backends, tg.Backend) {
		return malformed(".backend", "unknown backend %q", tg.Backend)
	}
	if weighted {
		tg.Weight, err = positiveInt(obj.Get(kWeight), ".weight")
	}
	return err
}

func positiveInt(t *ast.Term, path string) (int, error) {
	if t == nil {
		return 0, malformed(path, "missing")
	}
	num, ok := t.Value.(ast.Number)
	if !ok {
		return 0, malformed(path, "want a positive integer, got %s", ast.ValueName(t.Value))
	}
	i, ok := num.Int()
	if !ok || i <= 0 {
		return 0, malformed(path, "want a positive integer, got %s", num)
	}
	return i, nil
}

func parseHeaders(t *ast.Term) (Headers, error) {
	var h Headers
	obj, err := optObject(t, "headers")
	if err != nil || obj == nil {
		return h, err
	}
	if h.Upstream, err = headerMap(obj.Get(kUpstream), "headers.upstream"); err != nil {
		return h, err
	}
	h.Downstream, err = headerMap(obj.Get(kDownstream), "headers.downstream")
	return h, err
}

// headerMap reads header names and values. Names are lower-cased; they
// must start with "x-" and must not claim the x-sluice- or x-envoy-
// prefixes, which steer routing and Envoy itself.
func headerMap(t *ast.Term, path string) (map[string]string, error) {
	return stringMapFunc(t, path, func(name, value string) (string, error) {
		lower := strings.ToLower(name)
		switch {
		case !strings.HasPrefix(lower, "x-") || !isToken(lower):
			return "", malformed(path, "header %q: want a name starting with x-", name)
		case strings.HasPrefix(lower, "x-sluice-"), strings.HasPrefix(lower, "x-envoy-"):
			return "", malformed(path, "header %q: the x-sluice- and x-envoy- prefixes are reserved", name)
		case strings.ContainsAny(value, "\r\n\x00"):
			return "", malformed(path, "header %q: value contains a line break or NUL", name)
		}
		return lower, nil
	})
}

// isToken reports whether s is a valid HTTP header name (RFC 9110 token).
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return s != ""
}

func parseOverrides(t *ast.Term) (Overrides, error) {
	var o Overrides
	obj, err := optObject(t, "overrides")
	if err != nil || obj == nil {
		return o, err
	}
	if o.Redaction, err = stringMap(obj.Get(kRedaction), "overrides.redaction"); err != nil {
		return o, err
	}
	for entity, action := range o.Redaction {
		if !redactionActions[action] {
			return o, malformed("overrides.redaction."+entity,
				"want allow, log, mask, hash, pseudonymize or block, got %q", action)
		}
	}
	o.Guardrails, err = stringMap(obj.Get(kGuardrails), "overrides.guardrails")
	return o, err
}

func optObject(t *ast.Term, path string) (ast.Object, error) {
	if t == nil {
		return nil, nil
	}
	if _, ok := t.Value.(ast.Null); ok {
		return nil, nil
	}
	obj, ok := t.Value.(ast.Object)
	if !ok {
		return nil, malformed(path, "want an object, got %s", ast.ValueName(t.Value))
	}
	return obj, nil
}

func optString(t *ast.Term, path string) (string, error) {
	if t == nil {
		return "", nil
	}
	s, ok := t.Value.(ast.String)
	if !ok {
		return "", malformed(path, "want a string, got %s", ast.ValueName(t.Value))
	}
	return string(s), nil
}

// stringList accepts an array or a set of strings: Rego's partial set rules
// (`reasons contains r if ...`) produce sets.
func stringList(t *ast.Term, path string) ([]string, error) {
	if t == nil {
		return nil, nil
	}
	var out []string
	add := func(e *ast.Term) error {
		s, ok := e.Value.(ast.String)
		if !ok {
			return malformed(path, "want strings, got %s", ast.ValueName(e.Value))
		}
		out = append(out, string(s))
		return nil
	}
	switch v := t.Value.(type) {
	case *ast.Array:
		out = make([]string, 0, v.Len())
		for i := range v.Len() {
			if err := add(v.Elem(i)); err != nil {
				return nil, err
			}
		}
	case ast.Set:
		out = make([]string, 0, v.Len())
		for _, e := range v.Slice() { // sorted
			if err := add(e); err != nil {
				return nil, err
			}
		}
	default:
		return nil, malformed(path, "want an array or set of strings, got %s", ast.ValueName(t.Value))
	}
	return out, nil
}

func stringMap(t *ast.Term, path string) (map[string]string, error) {
	return stringMapFunc(t, path, func(k, _ string) (string, error) { return k, nil })
}

// stringMapFunc reads an object of strings; key checks and may rename each key.
func stringMapFunc(t *ast.Term, path string, key func(k, v string) (string, error)) (map[string]string, error) {
	obj, err := optObject(t, path)
	if err != nil || obj == nil {
		return nil, err
	}
	out := make(map[string]string, obj.Len())
	err = obj.Iter(func(k, v *ast.Term) error {
		ks, ok := k.Value.(ast.String)
		if !ok {
			return malformed(path, "want string keys, got %s", ast.ValueName(k.Value))
		}
		vs, ok := v.Value.(ast.String)
		if !ok {
			return malformed(path+"."+string(ks), "want a string, got %s", ast.ValueName(v.Value))
		}
		name, err := key(string(ks), string(vs))
		if err != nil {
			return err
		}
		out[name] = string(vs)
		return nil
	})
	return out, err
}

func parsePrompt(t *ast.Term) (Prompt, error) {
	var p Prompt
	obj, err := optObject(t, "prompt")
	if err != nil || obj == nil {
		return p, err
	}
	p.Decorators, err = stringList(obj.Get(kDecorators), "prompt.decorators")
	return p, err
}
