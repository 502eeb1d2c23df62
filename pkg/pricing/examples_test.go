package pricing_test

import (
	"os"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/sluice-gw/sluice/pkg/translate"
)

// TestExampleModelsPriced keeps prices.yaml in step with the example config:
// every model a user can call there must have a price.
func TestExampleModelsPriced(t *testing.T) {
	src, err := os.ReadFile("../../examples/sluice.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Backends []struct {
			Name     string `yaml:"name"`
			Provider string `yaml:"provider"`
		} `yaml:"backends"`
		Models []struct {
			Name          string `yaml:"name"`
			Backend       string `yaml:"backend"`
			UpstreamModel string `yaml:"upstream_model"`
		} `yaml:"models"`
	}
	if err := yaml.Unmarshal(src, &cfg); err != nil {
		t.Fatal(err)
	}
	providers := map[string]translate.Provider{}
	for _, b := range cfg.Backends {
		providers[b.Name] = translate.Provider(b.Provider)
	}
	if len(cfg.Models) == 0 {
		t.Fatal("no models in examples/sluice.yaml")
	}
	tbl := defaultTable(t)
	for _, m := range cfg.Models {
		upstream := m.UpstreamModel
		if upstream == "" {
			upstream = m.Name
		}
		provider, ok := providers[m.Backend]
		if !ok {
			t.Errorf("model %s: unknown backend %q", m.Name, m.Backend)
			continue
		}
		if _, ok := tbl.Lookup(upstream, provider); !ok {
			t.Errorf("model %s (%s on %s) has no price in prices.yaml", m.Name, upstream, provider)
		}
	}
}
