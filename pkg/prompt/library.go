// Package prompt serves managed prompt templates. Its stage renders a
// template call (POST /v1/prompts/{name}) or a chat request's "prompt"
// member into an ordinary chat completion request right after the body is
// parsed, so every later stage sees the rendered request; it answers
// GET /v1/prompts; it adds the template's parsed JSON answer as "output";
// and its decorate stage applies the system-prompt decorators the policy
// chose. Templates come from config and from a watched directory.
package prompt

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
	"github.com/sluice-gw/sluice/pkg/identity"
	"github.com/sluice-gw/sluice/pkg/prompt/template"
)

// Entry is one template with all its versions.
type Entry struct {
	Name, Description string
	// Versions in the order written; Latest is the last.
	Versions []*template.Template
	rollout  []split
	total    int64
	tenants  []string
	roles    []string
}

type split struct {
	t      *template.Template
	weight int64
}

// Library is a compiled, immutable set of templates.
type Library struct {
	byName map[string]*Entry
	names  []string // sorted, for listings
}

// Build compiles templates. Definitions naming the same template add
// versions to it (a directory may hold one file per version); a version
// defined twice, or settings (description, rollout, access) given by more
// than one definition, are errors. source names where defs came from.
func Build(defs []*configv1.PromptTemplate) (*Library, error) {
	merged := map[string]*configv1.PromptTemplate{}
	var order []string
	var errs []error
	for _, d := range defs {
		m, ok := merged[d.GetName()]
		if !ok {
			merged[d.GetName()] = &configv1.PromptTemplate{Name: d.GetName(), Description: d.GetDescription(),
				Versions: slices.Clone(d.GetVersions()), Rollout: d.GetRollout(), Access: d.GetAccess()}
			order = append(order, d.GetName())
			continue
		}
		if err := mergeInto(m, d); err != nil {
			errs = append(errs, err)
		}
	}
	lib := &Library{byName: map[string]*Entry{}}
	for _, name := range order {
		e, err := compile(merged[name])
		if err != nil {
			errs = append(errs, fmt.Errorf("template %s: %w", name, err))
			continue
		}
		lib.byName[name] = e
		lib.names = append(lib.names, name)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.Sort(lib.names)
	return lib, nil
}

func mergeInto(m, d *configv1.PromptTemplate) error {
	set := func(have, add bool, field string) error {
		if have && add {
			return fmt.Errorf("template %s: %s is set by more than one definition", d.GetName(), field)
		}
		return nil
	}
	if err := errors.Join(
		set(m.GetDescription() != "", d.GetDescription() != "", "description"),
		set(len(m.GetRollout()) > 0, len(d.GetRollout()) > 0, "rollout"),
		set(m.GetAccess() != nil, d.GetAccess() != nil, "access"),
	); err != nil {
		return err
	}
	if d.GetDescription() != "" {
		m.Description = d.GetDescription()
	}
	if len(d.GetRollout()) > 0 {
		m.Rollout = d.GetRollout()
	}
	if d.GetAccess() != nil {
		m.Access = d.GetAccess()
	}
	for _, v := range d.GetVersions() {
		for _, have := range m.GetVersions() {
			if have.GetVersion() == v.GetVersion() {
				return fmt.Errorf("template %s: version %q is defined twice", d.GetName(), v.GetVersion())
			}
		}
		m.Versions = append(m.Versions, v)
	}
	return nil
}

func compile(pt *configv1.PromptTemplate) (*Entry, error) {
	e := &Entry{Name: pt.GetName(), Description: pt.GetDescription(),
		tenants: pt.GetAccess().GetTenants(), roles: pt.GetAccess().GetRoles()}
	for _, v := range pt.GetVersions() {
		t, err := template.Compile(pt.GetName(), pt.GetDescription(), v)
		if err != nil {
			return nil, fmt.Errorf("version %s: %w", v.GetVersion(), err)
		}
		e.Versions = append(e.Versions, t)
	}
	for _, r := range pt.GetRollout() {
		t := e.Version(r.GetVersion())
		if t == nil {
			return nil, fmt.Errorf("rollout: no version %q", r.GetVersion())
		}
		if r.GetWeight() > 0 {
			e.rollout = append(e.rollout, split{t: t, weight: r.GetWeight()})
			e.total += r.GetWeight()
		}
	}
	if len(pt.GetRollout()) > 0 && e.total == 0 {
		return nil, errors.New("rollout: the weights add up to 0")
	}
	return e, nil
}

// Lookup finds a template by name.
func (l *Library) Lookup(name string) *Entry {
	if l == nil {
		return nil
	}
	return l.byName[name]
}

// Names lists the templates in name order.
func (l *Library) Names() []string {
	if l == nil {
		return nil
	}
	return l.names
}

// Version finds a version of the template; nil when there is none.
func (e *Entry) Version(v string) *template.Template {
	for _, t := range e.Versions {
		if t.Version == v {
			return t
		}
	}
	return nil
}

// Pick is the version an unpinned call gets: a weighted choice by the
// rollout, the same for the same caller each time (an FNV hash of the
// template and the caller), or the latest version without a rollout.
func (e *Entry) Pick(caller string) *template.Template {
	if e.total == 0 {
		return e.Versions[len(e.Versions)-1]
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(e.Name)) // hash writes never fail
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(caller))
	n := int64(h.Sum64() % uint64(e.total)) //nolint:gosec // total is positive and at most a few million
	for _, s := range e.rollout {
		if n < s.weight {
			return s.t
		}
		n -= s.weight
	}
	return e.rollout[len(e.rollout)-1].t
}

// Allows reports whether the caller may use the template: its tenant is
// listed (when tenants are), and it holds a listed role (when roles are).
func (e *Entry) Allows(id *identity.Identity) bool {
	if len(e.tenants) == 0 && len(e.roles) == 0 {
		return true
	}
	if id == nil {
		return false
	}
	if len(e.tenants) > 0 && !slices.Contains(e.tenants, id.Tenant) {
		return false
	}
	if len(e.roles) > 0 && !slices.ContainsFunc(id.Roles, func(r string) bool { return slices.Contains(e.roles, r) }) {
		return false
	}
	return true
}

// stickyKey is who a rollout keeps on one version: the user, else the API
// key, else the authenticated subject; "" (a fresh choice per request)
// for anonymous callers, given the request id instead.
func stickyKey(id *identity.Identity, requestID string) string {
	if id != nil {
		switch {
		case id.User != "":
			return "user:" + id.User
		case id.Key != nil && id.Key.ID != "":
			return "key:" + id.Key.ID
		case id.Subject != "":
			return "subject:" + id.Subject
		}
	}
	return "request:" + requestID
}
