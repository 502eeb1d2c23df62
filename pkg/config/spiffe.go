package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

const spiffeScheme = "spiffe://"

// spiffeSegment is what SPIFFE allows in a trust domain or path segment.
var spiffeSegment = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// spiffePlaceholders are the names a pattern segment may capture. The
// trust domain has its own, only in the trust domain's place.
var spiffePlaceholders = map[string]bool{"{tenant}": true, "{team}": true, "{app}": true}

// SPIFFEPattern reads tenant, team and app out of SPIFFE ids. The pattern
// "spiffe://{trust_domain}/ns/{tenant}/sa/{app}" matches Istio's
// "spiffe://cluster.local/ns/acme/sa/ranker" with tenant "acme" and app
// "ranker". Each placeholder is a whole segment; "*" matches any one
// segment; everything else must be equal.
type SPIFFEPattern struct {
	text        string
	trustDomain string
	segments    []string
}

// SPIFFEFields are the parts of a SPIFFE id a pattern named.
type SPIFFEFields struct {
	TrustDomain, Tenant, Team, App string
}

// ParseSPIFFEPattern checks and compiles a pattern.
func ParseSPIFFEPattern(s string) (*SPIFFEPattern, error) {
	rest, ok := strings.CutPrefix(s, spiffeScheme)
	if !ok {
		return nil, errors.New(`must start with "spiffe://"`)
	}
	parts := strings.Split(rest, "/")
	p := &SPIFFEPattern{text: s, trustDomain: parts[0], segments: parts[1:]}
	if td := p.trustDomain; td != "{trust_domain}" && !spiffeSegment.MatchString(td) {
		return nil, fmt.Errorf(`trust domain %q must be a name or "{trust_domain}"`, td)
	}
	if len(p.segments) == 0 {
		return nil, errors.New("needs at least one path segment")
	}
	seen := map[string]bool{}
	for _, seg := range p.segments {
		switch {
		case spiffePlaceholders[seg]:
			if seen[seg] {
				return nil, fmt.Errorf("%s appears twice", seg)
			}
			seen[seg] = true
		case seg == "*" || spiffeSegment.MatchString(seg):
		case strings.ContainsAny(seg, "{}"):
			return nil, fmt.Errorf("segment %q: placeholders are whole segments, one of {tenant}, {team}, {app}", seg)
		default:
			return nil, fmt.Errorf("segment %q: want letters, digits, '.', '_', '-', a placeholder or '*'", seg)
		}
	}
	return p, nil
}

// String is the pattern as written; "" for a nil pattern.
func (p *SPIFFEPattern) String() string {
	if p == nil {
		return ""
	}
	return p.text
}

// Match reads the named segments out of id, a SPIFFE id. It reports false
// when id does not have the pattern's shape.
func (p *SPIFFEPattern) Match(id string) (SPIFFEFields, bool) {
	rest, ok := strings.CutPrefix(id, spiffeScheme)
	if !ok {
		return SPIFFEFields{}, false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != len(p.segments)+1 || parts[0] == "" {
		return SPIFFEFields{}, false
	}
	f := SPIFFEFields{TrustDomain: parts[0]}
	if p.trustDomain != "{trust_domain}" && p.trustDomain != parts[0] {
		return SPIFFEFields{}, false
	}
	for i, seg := range p.segments {
		got := parts[i+1]
		switch {
		case got == "":
			return SPIFFEFields{}, false
		case seg == "{tenant}":
			f.Tenant = got
		case seg == "{team}":
			f.Team = got
		case seg == "{app}":
			f.App = got
		case seg != "*" && seg != got:
			return SPIFFEFields{}, false
		}
	}
	return f, true
}
