package config

import (
	"regexp"
	"slices"
	"strings"
	"unicode"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
	"github.com/sluice-gw/sluice/pkg/identity/apikey"
)

var (
	// headerName is an RFC 9110 token in lower case, as Envoy hands
	// header names to ext_proc.
	headerName = regexp.MustCompile("^[a-z0-9!#$%&'*+.^_`|~-]+$")
	labelName  = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_./-]*[A-Za-z0-9])?$`)
)

const (
	maxLabelName  = 128
	maxLabelValue = 256
)

// tenantTeams maps each configured tenant to its set of teams. It is nil
// when no tenants are configured, and then tenant names are free-form.
type tenantTeams map[string]map[string]bool

func (s *Snapshot) tenantTeams() tenantTeams {
	if len(s.Tenants) == 0 {
		return nil
	}
	tt := tenantTeams{}
	for name, t := range s.Tenants {
		tt[name] = map[string]bool{}
		for team := range t.Teams {
			tt[name][team] = true
		}
	}
	return tt
}

func validateIdentity(id *configv1.Identity, tenants tenantTeams, p *problems) {
	if id == nil {
		return
	}
	kc := keyCheck{tenants: tenants, seen: map[string]string{}}
	kc.check(id.GetApiKeys(), "identity.api_keys", p)
	if pat := id.GetMtls().GetSpiffePattern(); pat != "" {
		if _, err := ParseSPIFFEPattern(pat); err != nil {
			p.add("identity.mtls.spiffe_pattern", "invalid pattern %q: %v", pat, err)
		}
	}
	th := id.GetTrustedHeaders()
	for _, h := range []struct{ field, value string }{
		{"tenant", th.GetTenant()}, {"user", th.GetUser()}, {"team", th.GetTeam()}, {"roles", th.GetRoles()},
	} {
		if h.value != "" && !headerName.MatchString(h.value) {
			p.add(join("identity.trusted_headers", h.field),
				`invalid header name %q: want a lower-case HTTP header name such as "x-sluice-tenant"`, h.value)
		}
	}
}

// keyCheck validates key records, from the config or a keys file.
type keyCheck struct {
	tenants tenantTeams
	// seen maps each key id to where it was first defined.
	seen map[string]string
}

func (kc keyCheck) check(keys []*configv1.ApiKey, base string, p *problems) {
	for i, k := range keys {
		path := index(base, i)
		kc.checkID(k.GetId(), path, p)
		checkHash(k.GetHash(), join(path, "hash"), p)
		kc.checkTenant(k, path, p)
		checkWords(k.GetRoles(), join(path, "roles"), "role", p)
		checkLabels(k.GetLabels(), join(path, "labels"), p)
	}
}

func (kc keyCheck) checkID(id, path string, p *problems) {
	ipath := join(path, "id")
	switch {
	case id == "":
		p.add(ipath, "is required")
	case strings.HasPrefix(id, apikey.Prefix):
		// Never echo it: this is a whole key.
		p.add(ipath, "is a whole API key; the id is the 8 characters after %q, and the key itself never goes in config", apikey.Prefix)
	case !apikey.ValidID(id):
		p.add(ipath, "invalid key id %q: want the 8 letters and digits after %q", id, apikey.Prefix)
	case kc.seen[id] != "":
		p.add(ipath, "duplicate key id %q (first defined at %s)", id, kc.seen[id])
	default:
		kc.seen[id] = path
	}
}

// checkHash never echoes the value: a user may have pasted the key.
func checkHash(h, path string, p *problems) {
	switch {
	case h == "":
		p.add(path, "is required")
	case strings.Contains(h, apikey.Prefix):
		p.add(path, "is an API key, not its hash: keys never go in config; print the hash with `sluice keys hash`")
	default:
		if _, err := apikey.ParseDigest(h); err != nil {
			p.add(path, "%v", err)
		}
	}
}

func (kc keyCheck) checkTenant(k *configv1.ApiKey, path string, p *problems) {
	tenant := k.GetTenant()
	if kc.tenants == nil || tenant == "" {
		return
	}
	teams, ok := kc.tenants[tenant]
	switch {
	case !ok:
		p.add(join(path, "tenant"), "unknown tenant %q", tenant)
	case k.GetTeam() != "" && len(teams) > 0 && !teams[k.GetTeam()]:
		p.add(join(path, "team"), "unknown team %q of tenant %q", k.GetTeam(), tenant)
	}
}

// checkWords checks role-like values: non-empty, with no spaces or
// control characters.
func checkWords(words []string, path, what string, p *problems) {
	for i, w := range words {
		switch {
		case w == "":
			p.add(index(path, i), "must not be empty")
		case strings.IndexFunc(w, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
			p.add(index(path, i), "invalid %s %q: spaces and control characters are not allowed", what, w)
		}
	}
}

// checkLabels keeps label names to what metrics, logs and policies handle
// without quoting, and values to one printable line.
func checkLabels(labels map[string]string, path string, p *problems) {
	names := make([]string, 0, len(labels))
	for k := range labels {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		kpath := join(path, k)
		if len(k) > maxLabelName || !labelName.MatchString(k) {
			p.add(kpath, "invalid label name %q: letters, digits, '_', '.', '/' and '-', starting and ending with a letter or digit, at most %d bytes", k, maxLabelName)
		}
		v := labels[k]
		if len(v) > maxLabelValue || strings.IndexFunc(v, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
			p.add(kpath, "label value must be printable and at most %d bytes", maxLabelValue)
		}
	}
}
