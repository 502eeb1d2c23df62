package config

import (
	"errors"
	"fmt"
	"strings"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
	"github.com/sluice-gw/sluice/pkg/pricing"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// validatePrices checks each price entry field by field, so errors carry
// the entry's path and line, then that the entries fit the built-in table
// (no name priced twice on one provider).
func validatePrices(ps []*configv1.Price, p *problems) {
	before := len(p.errs)
	first := map[[2]string]string{}
	for i, pr := range ps {
		path := index("prices", i)
		for j, name := range append([]string{pr.GetModel()}, pr.GetAliases()...) {
			at := join(path, "model")
			if j > 0 {
				at = index(join(path, "aliases"), j-1)
			}
			key := [2]string{pr.GetProvider(), strings.ToLower(strings.TrimSpace(name))}
			if prev, dup := first[key]; dup && name != "" {
				p.add(at, "%q is already priced on provider %s at %s", name, pr.GetProvider(), prev)
				continue
			}
			first[key] = at
		}
		switch {
		case pr.GetProvider() == "":
			p.add(join(path, "provider"), "is required")
		case !knownProvider(translate.Provider(pr.GetProvider())):
			p.add(join(path, "provider"), "unknown provider %q", pr.GetProvider())
		}
		if pr.GetModel() == "" {
			p.add(join(path, "model"), "is required")
		}
		for j, a := range pr.GetAliases() {
			if a == "" {
				p.add(index(join(path, "aliases"), j), "must not be empty")
			}
		}
		for _, f := range []struct {
			name, v  string
			required bool
		}{
			{"input", pr.GetInput(), true},
			{"cached_input", pr.GetCachedInput(), false},
			{"cache_write", pr.GetCacheWrite(), false},
			{"output", pr.GetOutput(), true},
			{"reasoning", pr.GetReasoning(), false},
		} {
			if f.v == "" {
				if f.required {
					p.add(join(path, f.name), `is required: US dollars per 1M tokens, such as "2.50"`)
				}
				continue
			}
			if _, err := pricing.ParseMicros(f.v); err != nil {
				p.add(join(path, f.name), "%v", err)
			}
		}
	}
	if len(p.errs) > before || len(ps) == 0 {
		return
	}
	if _, err := buildPrices(ps); err != nil {
		p.add("prices", "%v", err)
	}
}

// buildPrices is the built-in price table with the config's entries laid
// over it.
func buildPrices(ps []*configv1.Price) (*pricing.Table, error) {
	t, err := pricing.Default()
	if err != nil {
		return nil, fmt.Errorf("built-in price table: %w", err)
	}
	if len(ps) == 0 {
		return t, nil
	}
	entries := make([]pricing.Entry, len(ps))
	for i, pr := range ps {
		entries[i] = pricing.Entry{
			Model: pr.GetModel(), Providers: []string{pr.GetProvider()}, Aliases: pr.GetAliases(),
			Input: pr.GetInput(), CachedInput: pr.GetCachedInput(), CacheWrite: pr.GetCacheWrite(),
			Output: pr.GetOutput(), Reasoning: pr.GetReasoning(),
		}
	}
	t, err = t.Override(entries)
	if err != nil {
		// The caller reports the error at "prices"; the package's own
		// "invalid price table" prefix would only repeat that.
		return nil, errors.New(strings.TrimPrefix(err.Error(), pricing.ErrInvalid.Error()+": "))
	}
	return t, nil
}
