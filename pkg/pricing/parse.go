package pricing

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sluice-gw/sluice/pkg/translate"
)

// ErrInvalid marks every error about a malformed price table or override.
var ErrInvalid = errors.New("invalid price table")

// Entry is one model's prices as written in prices.yaml or in config: prices
// are decimal US dollars per 1M tokens ("2.50"), read exactly. An empty
// CachedInput or CacheWrite means the Input price, an empty Reasoning the
// Output price.
type Entry struct {
	Model     string   `yaml:"model"`
	Providers []string `yaml:"providers"`
	Aliases   []string `yaml:"aliases"`

	Input       string `yaml:"input"`
	CachedInput string `yaml:"cached_input"`
	CacheWrite  string `yaml:"cache_write"`
	Output      string `yaml:"output"`
	Reasoning   string `yaml:"reasoning"`

	Source  string `yaml:"source"`
	Checked string `yaml:"checked"` // YYYY-MM-DD the source was read
}

type file struct {
	Version       string  `yaml:"version"`
	EffectiveFrom string  `yaml:"effective_from"`
	Currency      string  `yaml:"currency"`
	Models        []Entry `yaml:"models"`
}

// Parse reads a price table in the prices.yaml format. Decoding is strict:
// unknown fields, a missing version, date or price, and a name priced twice
// on one provider are errors naming the entry.
func Parse(src []byte) (*Table, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	var f file
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if f.Version == "" {
		return nil, fmt.Errorf("%w: version: required", ErrInvalid)
	}
	from, err := time.Parse(time.DateOnly, f.EffectiveFrom)
	if err != nil {
		return nil, fmt.Errorf("%w: effective_from: want YYYY-MM-DD, got %q", ErrInvalid, f.EffectiveFrom)
	}
	if f.Currency != "USD" {
		return nil, fmt.Errorf("%w: currency: only USD is supported, got %q", ErrInvalid, f.Currency)
	}
	rows, err := resolve(f.Models, "models")
	if err != nil {
		return nil, err
	}
	t := &Table{version: f.Version, effectiveFrom: from, currency: f.Currency, rows: rows}
	if err := t.buildIndex(); err != nil {
		return nil, err
	}
	return t, nil
}

// Override returns a new table in which entries replace the prices of the
// same model on the same provider, and add models the table lacks. An
// override's names (model and aliases) take precedence over any base entry
// that uses them. Errors name the entry as overrides[i].
func (t *Table) Override(entries []Entry) (*Table, error) {
	over, err := resolve(entries, "overrides")
	if err != nil {
		return nil, err
	}
	replaced := make(map[[2]string]bool, len(over))
	for _, r := range over {
		replaced[[2]string{string(r.provider), r.model}] = true
	}
	rows := make([]row, 0, len(t.rows)+len(over))
	for _, r := range t.rows {
		if !replaced[[2]string{string(r.provider), r.model}] {
			rows = append(rows, r)
		}
	}
	base := len(rows)
	rows = append(rows, over...)
	n := &Table{version: t.version, effectiveFrom: t.effectiveFrom, currency: t.currency, rows: rows}
	if len(over) > 0 && !strings.HasSuffix(n.version, "+override") {
		n.version += "+override"
	}
	if err := n.buildIndexFrom(base); err != nil {
		return nil, err
	}
	return n, nil
}

// buildIndex indexes every row, refusing a name priced twice on a provider.
func (t *Table) buildIndex() error { return t.buildIndexFrom(len(t.rows)) }

// buildIndexFrom indexes rows; rows from index split onwards are overrides,
// which may shadow earlier rows' names but not each other's.
func (t *Table) buildIndexFrom(split int) error {
	t.index = make(map[translate.Provider]map[string]*row)
	owner := make(map[translate.Provider]map[string]int)
	for i := range t.rows {
		r := &t.rows[i]
		if t.index[r.provider] == nil {
			t.index[r.provider] = make(map[string]*row)
			owner[r.provider] = make(map[string]int)
		}
		for _, name := range append([]string{r.model}, r.aliases...) {
			if j, dup := owner[r.provider][name]; dup && (j >= split) == (i >= split) {
				return fmt.Errorf("%w: %q is priced twice on provider %s (%s and %s)",
					ErrInvalid, name, r.provider, t.rows[j].model, r.model)
			}
			owner[r.provider][name] = i
			t.index[r.provider][name] = r
		}
	}
	return nil
}

// resolve validates entries and flattens them to one row per provider.
func resolve(entries []Entry, field string) ([]row, error) {
	var rows []row
	for i, e := range entries {
		at := fmt.Sprintf("%s[%d]", field, i)
		prices, err := e.prices(at)
		if err != nil {
			return nil, err
		}
		model := normalize(e.Model)
		if model == "" {
			return nil, fmt.Errorf("%w: %s.model: required", ErrInvalid, at)
		}
		if len(e.Providers) == 0 {
			return nil, fmt.Errorf("%w: %s.providers: at least one provider is required", ErrInvalid, at)
		}
		if e.Checked != "" {
			if _, err := time.Parse(time.DateOnly, e.Checked); err != nil {
				return nil, fmt.Errorf("%w: %s.checked: want YYYY-MM-DD, got %q", ErrInvalid, at, e.Checked)
			}
		}
		aliases := make([]string, 0, len(e.Aliases))
		for j, a := range e.Aliases {
			if a = normalize(a); a == "" {
				return nil, fmt.Errorf("%w: %s.aliases[%d]: empty name", ErrInvalid, at, j)
			}
			aliases = append(aliases, a)
		}
		for j, p := range e.Providers {
			prov := translate.Provider(p)
			if !knownProvider(prov) {
				return nil, fmt.Errorf("%w: %s.providers[%d]: unknown provider %q", ErrInvalid, at, j, p)
			}
			rows = append(rows, row{provider: prov, model: model, aliases: aliases,
				prices: prices, source: e.Source, checked: e.Checked})
		}
	}
	return rows, nil
}

// prices reads the entry's decimal prices and applies the defaults.
func (e Entry) prices(at string) (Prices, error) {
	var p Prices
	fields := []struct {
		name     string
		text     string
		dst      *int64
		fallback *int64
	}{
		{"input", e.Input, &p.Input, nil},
		{"output", e.Output, &p.Output, nil},
		{"cached_input", e.CachedInput, &p.CachedInput, &p.Input},
		{"cache_write", e.CacheWrite, &p.CacheWrite, &p.Input},
		{"reasoning", e.Reasoning, &p.Reasoning, &p.Output},
	}
	for _, f := range fields {
		if f.text == "" {
			if f.fallback == nil {
				return Prices{}, fmt.Errorf("%w: %s.%s: required", ErrInvalid, at, f.name)
			}
			*f.dst = *f.fallback
			continue
		}
		v, err := ParseMicros(f.text)
		if err != nil {
			return Prices{}, fmt.Errorf("%w: %s.%s: %w", ErrInvalid, at, f.name, err)
		}
		*f.dst = v
	}
	return p, nil
}

func knownProvider(p translate.Provider) bool {
	return slices.Contains([]translate.Provider{translate.OpenAI, translate.AzureOpenAI,
		translate.Anthropic, translate.Gemini, translate.Bedrock, translate.OpenAICompatible}, p)
}
