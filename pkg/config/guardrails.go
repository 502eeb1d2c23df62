package config

import (
	"errors"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
	"github.com/sluice-gw/sluice/pkg/guard/match"
	"github.com/sluice-gw/sluice/pkg/pii"
)

// Guardrails is the effective guardrails section: the output checks.
type Guardrails struct {
	Banned []GuardrailBanned
	// PII is nil when the output is not scanned for PII and secrets.
	PII *GuardrailPII
	// CanaryAction is block or log.
	CanaryAction string
	// JSONSchemaAction is block or log; "" when structured output is not
	// checked.
	JSONSchemaAction string
	// Moderation is nil when no moderation service is asked.
	Moderation *GuardrailModeration
}

// GuardrailBanned is one named rule of banned phrases and patterns.
type GuardrailBanned struct {
	Name     string
	Phrases  []string
	Patterns []string
	Action   string // block, mask or log
}

// GuardrailPII is the output PII scan: Action for every type Actions does
// not name.
type GuardrailPII struct {
	Types   []string
	Action  string
	Actions map[string]string
}

// GuardrailModeration is an external moderation service.
type GuardrailModeration struct {
	Kind     string // openai or guard_model
	Endpoint string
	// APIKey is read when secrets are resolved; "" when none is
	// configured or it could not be read. It is a secret: never log it.
	APIKey            string
	Model             string
	Timeout           time.Duration
	FailOpen          bool
	StreamWindowBytes int
	Categories        []string

	apiKey *configv1.Credential
}

// The moderation kinds.
const (
	ModerationOpenAI     = "openai"
	ModerationGuardModel = "guard_model"
)

// maxStreamWindow bounds how much text a stream may hold back for one
// moderation call.
const maxStreamWindow = 1 << 20

// builtinTypes are the entity types the output PII scan knows.
var builtinTypes = pii.BuiltinTypes()

var (
	guardrailName = regexp.MustCompile(`^[a-z0-9_-]{1,63}$`)
	outputType    = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)
)

func validateGuardrails(g *configv1.Guardrails, p *problems) {
	if g == nil {
		return
	}
	const path = "guardrails"
	first := map[string]string{}
	for i, b := range g.GetBanned() {
		validateBanned(b, index(join(path, "banned"), i), first, p)
	}
	if pii := g.GetPii(); pii != nil {
		ppath := join(path, "pii")
		for i, t := range pii.GetTypes() {
			if tpath := index(join(ppath, "types"), i); !slices.Contains(builtinTypes, t) {
				p.add(tpath, "unknown entity type %q; the built-in types are %s", t, strings.Join(builtinTypes, ", "))
			}
		}
		checkChoice(pii.GetAction(), join(ppath, "action"), p, "allow", "log", "mask", "block")
		for _, t := range slices.Sorted(maps.Keys(pii.GetActions())) {
			apath := join(join(ppath, "actions"), t)
			checkOutputType(t, apath, p)
			checkChoice(pii.GetActions()[t], apath, p, "allow", "log", "mask", "block")
		}
	}
	checkChoice(g.GetCanaryAction(), join(path, "canary_action"), p, "block", "log")
	if s := g.GetJsonSchema(); s != nil {
		checkChoice(s.GetAction(), join(path, "json_schema.action"), p, "block", "log")
	}
	validateModeration(g.GetModeration(), join(path, "moderation"), p)
}

func validateBanned(b *configv1.GuardrailBanned, path string, first map[string]string, p *problems) {
	switch name := b.GetName(); {
	case name == "":
		p.add(join(path, "name"), "is required")
	case !guardrailName.MatchString(name):
		p.add(join(path, "name"), "invalid rule name %q: lower case letters, digits, '_' and '-', at most 63", name)
	case first[name] != "":
		p.add(join(path, "name"), "duplicate rule name %q (first defined at %s)", name, first[name])
	default:
		first[name] = path
	}
	if len(b.GetPhrases()) == 0 && len(b.GetPatterns()) == 0 {
		p.add(path, "set phrases or patterns")
	}
	for i, ph := range b.GetPhrases() {
		switch {
		case ph == "":
			p.add(index(join(path, "phrases"), i), "must not be empty")
		case len(ph) > match.MaxPatternLen:
			p.add(index(join(path, "phrases"), i), "is longer than %d bytes", match.MaxPatternLen)
		}
	}
	for i, pat := range b.GetPatterns() {
		if _, err := match.MaxLen(pat); err != nil {
			p.add(index(join(path, "patterns"), i), "%v", err)
		}
	}
	checkChoice(b.GetAction(), join(path, "action"), p, "block", "mask", "log")
}

func validateModeration(m *configv1.GuardrailModeration, path string, p *problems) {
	if m == nil {
		return
	}
	checkChoice(m.GetKind(), join(path, "kind"), p, ModerationOpenAI, ModerationGuardModel)
	u, err := url.Parse(m.GetEndpoint())
	switch {
	case m.GetEndpoint() == "":
		p.add(join(path, "endpoint"), `is required, such as "https://api.openai.com/v1"`)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		p.add(join(path, "endpoint"), `want an http or https URL such as "https://api.openai.com/v1"`)
	case u.User != nil:
		p.add(join(path, "endpoint"), "must not carry credentials; use api_key")
	}
	if c := m.GetApiKey(); c != nil {
		switch {
		case c.GetSource() == nil:
			p.add(join(path, "api_key"), "set one of env, file")
		case c.GetAws() != nil:
			p.add(join(path, "api_key.aws"), "the moderation key is read from env or file")
		default:
			checkKeySource(c, join(path, "api_key"), p)
		}
	}
	if m.GetKind() == ModerationGuardModel && m.GetModel() == "" {
		p.add(join(path, "model"), "is required for kind guard_model")
	}
	checkPositive(m.GetTimeout(), join(path, "timeout"), p)
	checkChoice(m.GetFailureMode(), join(path, "failure_mode"), p, "closed", "open")
	if w := m.GetStreamWindowBytes(); w < 0 || w > maxStreamWindow {
		p.add(join(path, "stream_window_bytes"), "want 0 to %d, got %d", maxStreamWindow, w)
	}
	for i, c := range m.GetCategories() {
		if c == "" {
			p.add(index(join(path, "categories"), i), "must not be empty")
		}
	}
}

func checkOutputType(t, path string, p *problems) {
	if !outputType.MatchString(t) {
		p.add(path, "entity types are upper case letters, digits and '_', such as EMAIL_ADDRESS; got %q", t)
	}
}

// checkChoice accepts "" (the default) or one of choices.
func checkChoice(v, path string, p *problems, choices ...string) {
	if v != "" && !slices.Contains(choices, v) {
		p.add(path, "want %s or %s, got %q", strings.Join(choices[:len(choices)-1], ", "), choices[len(choices)-1], v)
	}
}

func buildGuardrails(g *configv1.Guardrails) *Guardrails {
	if g == nil {
		return nil
	}
	out := &Guardrails{CanaryAction: orDefault(g.GetCanaryAction(), "block")}
	for _, b := range g.GetBanned() {
		out.Banned = append(out.Banned, GuardrailBanned{
			Name: b.GetName(), Phrases: b.GetPhrases(), Patterns: b.GetPatterns(),
			Action: orDefault(b.GetAction(), "block"),
		})
	}
	if pii := g.GetPii(); pii != nil {
		out.PII = &GuardrailPII{Types: pii.GetTypes(), Action: orDefault(pii.GetAction(), "mask"), Actions: pii.GetActions()}
	}
	if s := g.GetJsonSchema(); s != nil {
		out.JSONSchemaAction = orDefault(s.GetAction(), "block")
	}
	if m := g.GetModeration(); m != nil {
		out.Moderation = &GuardrailModeration{
			Kind: orDefault(m.GetKind(), ModerationOpenAI), Endpoint: m.GetEndpoint(), Model: m.GetModel(),
			Timeout: m.GetTimeout().AsDuration(), FailOpen: m.GetFailureMode() == "open",
			StreamWindowBytes: int(m.GetStreamWindowBytes()), Categories: m.GetCategories(),
			apiKey: m.GetApiKey(),
		}
	}
	return out
}

// resolveGuardrailsKey reads the moderation service's API key.
func resolveGuardrailsKey(snap *Snapshot, s secrets, p *problems) []error {
	g := snap.Guardrails
	if g == nil || g.Moderation == nil || g.Moderation.apiKey.GetSource() == nil {
		return nil
	}
	const path = "guardrails.moderation.api_key"
	cred, field, reason, err := s.resolve(g.Moderation.apiKey)
	if reason != "" {
		fpath := join(path, field)
		return []error{&Error{File: p.file, Line: p.line(fpath), Path: fpath, Msg: reason, Err: errors.Join(ErrCredential, err)}}
	}
	g.Moderation.APIKey = cred.APIKey
	return nil
}
