package config

import (
	"errors"
	"path/filepath"
	"regexp"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
	"github.com/sluice-gw/sluice/pkg/prompt/template"
)

// Templates is the effective templates section.
type Templates struct {
	// Inline are the templates written in the config file, validated.
	Inline []*configv1.PromptTemplate
	// Dir is the absolute path of the template directory, or "".
	Dir string
	// Decorators are the system-prompt decorators in config order.
	Decorators []Decorator
}

// Decorator is a named system-prompt addition a policy may apply.
type Decorator struct {
	Name string
	// Position is DecoratorPrepend or DecoratorAppend.
	Position string
	Text     string
}

// The decorator positions.
const (
	DecoratorPrepend = "prepend"
	DecoratorAppend  = "append"
)

var decoratorName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

func validateTemplates(t *configv1.Templates, p *problems) {
	if t == nil {
		return
	}
	const path = "templates"
	first := map[string]string{}
	for i, pt := range t.GetInline() {
		tpath := index(join(path, "inline"), i)
		validateTemplate(pt, tpath, p)
		if n := pt.GetName(); n != "" {
			if prev, dup := first[n]; dup {
				p.add(join(tpath, "name"), "duplicate template %q (first defined at %s)", n, prev)
			}
			first[n] = tpath
		}
	}
	decorators := map[string]string{}
	for i, d := range t.GetDecorators() {
		dpath := index(join(path, "decorators"), i)
		switch n := d.GetName(); {
		case !decoratorName.MatchString(n):
			p.add(join(dpath, "name"), "want lower case letters, digits, '_' or '-', at most 64, got %q", n)
		case decorators[n] != "":
			p.add(join(dpath, "name"), "duplicate decorator %q (first defined at %s)", n, decorators[n])
		default:
			decorators[n] = dpath
		}
		checkChoice(d.GetPosition(), join(dpath, "position"), p, DecoratorPrepend, DecoratorAppend)
		if d.GetText() == "" {
			p.add(join(dpath, "text"), "is required")
		}
	}
}

// validateTemplate checks one template, inline (path templates.inline[i])
// or from a template file (path "").
func validateTemplate(pt *configv1.PromptTemplate, path string, p *problems) {
	if !template.ValidName(pt.GetName()) {
		p.add(join(path, "name"), "want lower case letters, digits, '_' or '-', at most 64, got %q", pt.GetName())
	}
	if len(pt.GetVersions()) == 0 {
		p.add(join(path, "versions"), "at least one version is required")
	}
	versions := map[string]bool{}
	for i, v := range pt.GetVersions() {
		vpath := index(join(path, "versions"), i)
		if versions[v.GetVersion()] {
			p.add(join(vpath, "version"), "duplicate version %q", v.GetVersion())
		}
		versions[v.GetVersion()] = true
		if v.GetModel() == "" {
			p.add(join(vpath, "model"), "is required")
		}
		if _, err := template.Compile(pt.GetName(), pt.GetDescription(), v); err != nil {
			addFieldErrors(err, vpath, p)
		}
	}
	validateRollout(pt.GetRollout(), versions, join(path, "rollout"), p)
	for i, t := range pt.GetAccess().GetTenants() {
		if t == "" {
			p.add(index(join(path, "access.tenants"), i), "must not be empty")
		}
	}
	for i, r := range pt.GetAccess().GetRoles() {
		if r == "" {
			p.add(index(join(path, "access.roles"), i), "must not be empty")
		}
	}
}

func validateRollout(rs []*configv1.PromptRollout, versions map[string]bool, path string, p *problems) {
	var total int64
	seen := map[string]bool{}
	for i, r := range rs {
		rpath := index(path, i)
		switch v := r.GetVersion(); {
		case !versions[v]:
			p.add(join(rpath, "version"), "no version %q in this template", v)
		case seen[v]:
			p.add(join(rpath, "version"), "version %q is listed twice", v)
		}
		seen[r.GetVersion()] = true
		if w := r.GetWeight(); w < 0 || w > 1_000_000 {
			p.add(join(rpath, "weight"), "want 0 to 1000000, got %d", w)
		} else {
			total += w
		}
	}
	if len(rs) > 0 && total == 0 {
		p.add(path, "the weights add up to 0; give at least one version a weight")
	}
}

func addFieldErrors(err error, path string, p *problems) {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok { //nolint:errorlint // errors.Join's list, not a chain
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var fe *template.FieldError
		if errors.As(e, &fe) {
			p.add(join(path, fe.Path), "%s", fe.Msg)
		} else {
			p.add(path, "%v", e)
		}
	}
}

func buildTemplates(t *configv1.Templates, dir string) *Templates {
	if t == nil {
		return nil
	}
	out := &Templates{Inline: t.GetInline()}
	if d := t.GetDir(); d != "" {
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		out.Dir = filepath.Clean(d)
	}
	for _, d := range t.GetDecorators() {
		out.Decorators = append(out.Decorators, Decorator{
			Name: d.GetName(), Position: orDefault(d.GetPosition(), DecoratorPrepend), Text: d.GetText(),
		})
	}
	return out
}

// ParseTemplateFile decodes and validates one template file: a single
// PromptTemplate, strictly decoded like the config. name labels errors.
func ParseTemplateFile(name string, src []byte) (*configv1.PromptTemplate, error) {
	p := newProblems(name)
	root, ok := parseYAML(src, p)
	if !ok {
		return nil, p.err()
	}
	pt := &configv1.PromptTemplate{}
	d := &decoder{problems: p, budget: maxNodes}
	d.message(root, pt.ProtoReflect(), "")
	if err := p.err(); err != nil {
		return nil, err
	}
	validateTemplate(pt, "", p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return pt, nil
}
