package config

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
)

// The actions data protection takes on an entity type.
const (
	ActionAllow        = "allow"
	ActionLog          = "log"
	ActionMask         = "mask"
	ActionHash         = "hash"
	ActionPseudonymize = "pseudonymize"
	ActionBlock        = "block"
)

// Defaults of the data-protection settings: a credential never reaches a
// provider, personal data is counted (for the policy and audit) but sent.
const (
	DefaultPIIAction       = ActionLog
	DefaultSecretAction    = ActionMask
	DefaultPresidioTimeout = 500 * time.Millisecond
	DefaultPresidioScore   = 0.5
	DefaultPresidioLang    = "en"
)

var redactionActions = []string{ActionAllow, ActionLog, ActionMask, ActionHash, ActionPseudonymize, ActionBlock}

// entityType is how entity types are spelt: Presidio's convention.
var entityType = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)

// DataProtection is the effective data_protection section.
type DataProtection struct {
	// Detectors are the built-in entity types to detect; empty is all.
	Detectors []string
	// Actions are the per-type actions the config names.
	Actions map[string]string
	// PIIAction and SecretAction apply to types Actions does not name.
	PIIAction, SecretAction string
	Custom                  []CustomDetector
	// HashKey is the HMAC key of the hash action, read when secrets are
	// resolved; nil when none is configured or it could not be read. It is
	// a secret: never log it.
	HashKey []byte
	// HashKeyConfigured is set when hash_key names a source, whether or not
	// it could be read.
	HashKeyConfigured bool
	StripInvisible    bool
	// Injection is nil when scoring is off.
	Injection *InjectionDetection
	Canary    bool
	// Presidio is nil when no analyzer is configured.
	Presidio *Presidio

	hashKey, presidioKey *configv1.Credential
}

// CustomDetector is one organisation-specific entity type.
type CustomDetector struct {
	Type            string
	Patterns        []string
	Phrases         []string
	CaseInsensitive bool
	Validator       string
	ContextWords    []string
	// Score is 0 when the detector's default applies.
	Score float64
}

// InjectionDetection configures prompt-injection scoring.
type InjectionDetection struct {
	// Threshold is 0 when the detector's default applies.
	Threshold float64
}

// Presidio is an external Presidio analyzer.
type Presidio struct {
	URL string
	// APIKey is the analyzer's bearer token, read when secrets are
	// resolved; "" for none. It is a secret: never log it.
	APIKey         string
	Timeout        time.Duration
	FailOpen       bool
	Language       string
	Entities       []string
	ScoreThreshold float64
}

func validateDataProtection(d *configv1.DataProtection, p *problems) {
	if d == nil {
		return
	}
	const path = "data_protection"
	for i, t := range d.GetDetectors() {
		checkEntityType(t, index(join(path, "detectors"), i), p)
	}
	custom := map[string]bool{}
	for i, c := range d.GetCustom() {
		cpath := index(join(path, "custom"), i)
		validateCustomDetector(c, cpath, p)
		if custom[c.GetType()] {
			p.add(join(cpath, "type"), "duplicate custom type %q", c.GetType())
		}
		custom[c.GetType()] = true
	}
	hashed := false
	check := func(action, apath string) {
		if action == "" {
			return
		}
		if !slices.Contains(redactionActions, action) {
			p.add(apath, "want one of %s, got %q", strings.Join(redactionActions, ", "), action)
		}
		hashed = hashed || action == ActionHash
	}
	for _, t := range sortedKeys(d.GetActions()) {
		apath := join(join(path, "actions"), t)
		checkEntityType(t, apath, p)
		check(d.GetActions()[t], apath)
	}
	check(d.GetPiiAction(), join(path, "pii_action"))
	check(d.GetSecretAction(), join(path, "secret_action"))
	validateHashKey(d.GetHashKey(), hashed, join(path, "hash_key"), p)
	validateInjection(d.GetInjection(), join(path, "injection"), p)
	validatePresidio(d.GetPresidio(), join(path, "presidio"), p)
}

func checkEntityType(t, path string, p *problems) {
	if !entityType.MatchString(t) {
		p.add(path, "entity types are upper case letters, digits and '_', such as EMAIL_ADDRESS; got %q", t)
	}
}

func validateCustomDetector(c *configv1.CustomDetector, path string, p *problems) {
	if c.GetType() == "" {
		p.add(join(path, "type"), "is required")
	} else {
		checkEntityType(c.GetType(), join(path, "type"), p)
	}
	if len(c.GetPatterns()) == 0 && len(c.GetPhrases()) == 0 {
		p.add(path, "set patterns or phrases")
	}
	for i, pat := range c.GetPatterns() {
		if pat == "" {
			p.add(index(join(path, "patterns"), i), "must not be empty")
			continue
		}
		if _, err := regexp.Compile(pat); err != nil {
			p.add(index(join(path, "patterns"), i), "not an RE2 regular expression: %v", err)
		}
	}
	for i, ph := range c.GetPhrases() {
		if strings.TrimSpace(ph) == "" {
			p.add(index(join(path, "phrases"), i), "must not be empty")
		}
	}
	switch c.GetValidator() {
	case "", "luhn", "mod97":
	default:
		p.add(join(path, "validator"), `want "", luhn or mod97, got %q`, c.GetValidator())
	}
	if c.Score != nil && (*c.Score <= 0 || *c.Score > 1) {
		p.add(join(path, "score"), "want a number in (0, 1], got %g", *c.Score)
	}
}

func validateHashKey(c *configv1.Credential, needed bool, path string, p *problems) {
	switch {
	case c == nil && needed:
		p.add(path, "is required when an action is hash (set env or file)")
	case c == nil:
	case c.GetSource() == nil:
		p.add(path, "set one of env, file")
	case c.GetAws() != nil:
		p.add(join(path, "aws"), "only bedrock backends use aws credentials; set env or file")
	default:
		checkKeySource(c, path, p)
	}
}

func validateInjection(in *configv1.InjectionDetection, path string, p *problems) {
	if in != nil && in.Threshold != nil && (in.GetThreshold() <= 0 || in.GetThreshold() > 1) {
		p.add(join(path, "threshold"), "want a number in (0, 1], got %g", in.GetThreshold())
	}
}

func validatePresidio(pr *configv1.Presidio, path string, p *problems) {
	if pr == nil {
		return
	}
	u, err := url.Parse(pr.GetUrl())
	switch {
	case pr.GetUrl() == "":
		p.add(join(path, "url"), "is required")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		p.add(join(path, "url"), `want an http or https URL such as "http://presidio-analyzer:3000"`)
	case u.User != nil:
		p.add(join(path, "url"), "must not carry credentials")
	}
	checkPositive(pr.GetTimeout(), join(path, "timeout"), p)
	switch FailureMode(pr.GetFailureMode()) {
	case "", FailClosed, FailOpen:
	default:
		p.add(join(path, "failure_mode"), "want %s or %s, got %q", FailClosed, FailOpen, pr.GetFailureMode())
	}
	if pr.ScoreThreshold != nil && (pr.GetScoreThreshold() < 0 || pr.GetScoreThreshold() > 1) {
		p.add(join(path, "score_threshold"), "want a number in [0, 1], got %g", pr.GetScoreThreshold())
	}
	for i, e := range pr.GetEntities() {
		checkEntityType(e, index(join(path, "entities"), i), p)
	}
	validateHashKey(pr.GetApiKey(), false, join(path, "api_key"), p)
}

func buildDataProtection(d *configv1.DataProtection) *DataProtection {
	if d == nil {
		return nil
	}
	out := &DataProtection{
		Detectors:         d.GetDetectors(),
		Actions:           d.GetActions(),
		PIIAction:         orDefault(d.GetPiiAction(), DefaultPIIAction),
		SecretAction:      orDefault(d.GetSecretAction(), DefaultSecretAction),
		StripInvisible:    d.GetStripInvisible(),
		Canary:            d.GetCanary().GetEnabled(),
		HashKeyConfigured: d.GetHashKey().GetSource() != nil,
		hashKey:           d.GetHashKey(),
		presidioKey:       d.GetPresidio().GetApiKey(),
	}
	for _, c := range d.GetCustom() {
		out.Custom = append(out.Custom, CustomDetector{
			Type: c.GetType(), Patterns: c.GetPatterns(), Phrases: c.GetPhrases(),
			CaseInsensitive: c.GetCaseInsensitive(), Validator: c.GetValidator(),
			ContextWords: c.GetContextWords(), Score: c.GetScore(),
		})
	}
	if in := d.GetInjection(); in == nil || in.Enabled == nil || in.GetEnabled() {
		out.Injection = &InjectionDetection{Threshold: in.GetThreshold()}
	}
	if pr := d.GetPresidio(); pr != nil {
		out.Presidio = &Presidio{
			URL: pr.GetUrl(), Timeout: DefaultPresidioTimeout, FailOpen: FailureMode(pr.GetFailureMode()) == FailOpen,
			Language: orDefault(pr.GetLanguage(), DefaultPresidioLang), Entities: pr.GetEntities(),
			ScoreThreshold: DefaultPresidioScore,
		}
		if t := pr.GetTimeout(); t != nil {
			out.Presidio.Timeout = t.AsDuration()
		}
		if pr.ScoreThreshold != nil {
			out.Presidio.ScoreThreshold = pr.GetScoreThreshold()
		}
	}
	return out
}

// Action is what the config says to do with entity type t. Types the
// config does not name get the secret or the PII default.
func (d *DataProtection) Action(t string, secret bool) string {
	if a, ok := d.Actions[t]; ok {
		return a
	}
	if secret {
		return d.SecretAction
	}
	return d.PIIAction
}

// resolveHashKey reads data_protection.hash_key and the Presidio
// analyzer's api_key. A key that cannot be read is a problem like any
// credential; the hash action then masks instead, which keeps values from
// the provider but loses their stability, and the analyzer is called
// without a token.
func resolveHashKey(snap *Snapshot, s secrets, p *problems) []error {
	d := snap.DataProtection
	if d == nil {
		return nil
	}
	var errs []error
	read := func(c *configv1.Credential, path string) string {
		if c.GetSource() == nil {
			return ""
		}
		cred, field, reason, err := s.resolve(c)
		if reason != "" {
			fpath := join(path, field)
			errs = append(errs, &Error{File: p.file, Line: p.line(fpath), Path: fpath, Msg: reason, Err: errors.Join(ErrCredential, err)})
		}
		return cred.APIKey
	}
	if k := read(d.hashKey, "data_protection.hash_key"); k != "" {
		d.HashKey = []byte(k)
	}
	if d.Presidio != nil {
		d.Presidio.APIKey = read(d.presidioKey, "data_protection.presidio.api_key")
	}
	return errs
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
