package charts

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const (
	chartDir  = "sluice"
	release   = "sluice"
	namespace = "sluice-system"
)

// kubeVersion is the cluster the chart is rendered for: the oldest its
// Chart.yaml accepts, as gRPC probes and preStop sleep need it.
var kubeVersion = chartutil.KubeVersion{Version: "v1.30.0", Major: "1", Minor: "30"}

// ciValues are the values files the chart is rendered and linted with.
func ciValues(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(chartDir, "ci", "*-values.yaml"))
	if err != nil || len(files) < 5 {
		t.Fatalf("ci values files: %v (%v)", files, err)
	}
	return files
}

func caseName(valuesFile string) string {
	return strings.TrimSuffix(filepath.Base(valuesFile), "-values.yaml")
}

// loadChart loads the chart as `helm install` would. With fixtures, the
// files under dashboards/ are replaced by testdata/files/dashboards, so the
// golden renders do not change whenever the dashboards do.
func loadChart(t testing.TB, fixtures bool) *chart.Chart {
	t.Helper()
	c, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	if !fixtures {
		return c
	}
	kept := c.Files[:0]
	for _, f := range c.Files {
		if !strings.HasPrefix(f.Name, "dashboards/") {
			kept = append(kept, f)
		}
	}
	c.Files = kept
	dir := filepath.Join("testdata", "files", "dashboards")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		c.Files = append(c.Files, &chart.File{Name: "dashboards/" + e.Name(), Data: data})
	}
	return c
}

func readValues(t testing.TB, file string) map[string]any {
	t.Helper()
	v, err := chartutil.ReadValuesFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return v.AsMap()
}

// render renders the chart with values as `helm template` does: values are
// checked against values.schema.json first, and a missing value is an
// error.
func render(c *chart.Chart, values map[string]any) (map[string]string, error) {
	caps := *chartutil.DefaultCapabilities
	caps.KubeVersion = kubeVersion
	vals, err := chartutil.ToRenderValues(c, values,
		chartutil.ReleaseOptions{Name: release, Namespace: namespace, Revision: 1, IsInstall: true}, &caps)
	if err != nil {
		return nil, err
	}
	return engine.Engine{Strict: true}.Render(c, vals)
}

// manifest is one rendered YAML document and the template it came from.
type manifest struct {
	source string
	body   string
}

// manifests splits rendered templates into documents, in template order,
// dropping empty ones and NOTES.txt.
func manifests(out map[string]string) []manifest {
	names := make([]string, 0, len(out))
	for name := range out {
		if !strings.HasSuffix(name, "NOTES.txt") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var docs []manifest
	for _, name := range names {
		for doc := range strings.SplitSeq(out[name], "\n---") {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			docs = append(docs, manifest{source: strings.TrimPrefix(name, chartDir+"/"), body: strings.TrimLeft(doc, "\n")})
		}
	}
	return docs
}

func stripComments(doc string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func renderCase(t *testing.T, valuesFile string) []manifest {
	t.Helper()
	out, err := render(loadChart(t, true), readValues(t, valuesFile))
	if err != nil {
		t.Fatalf("%s: %v", valuesFile, err)
	}
	docs := manifests(out)
	if len(docs) == 0 {
		t.Fatalf("%s: nothing rendered", valuesFile)
	}
	return docs
}

func TestGolden(t *testing.T) {
	for _, file := range ciValues(t) {
		t.Run(caseName(file), func(t *testing.T) {
			out, err := render(loadChart(t, true), readValues(t, file))
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, m := range manifests(out) {
				b.WriteString("---\n# Source: " + m.source + "\n" + strings.TrimRight(m.body, "\n") + "\n")
			}
			base := filepath.Join("testdata", "golden", caseName(file))
			checkGolden(t, base+".yaml", b.String())
			checkGolden(t, base+".NOTES.txt", out[chartDir+"/templates/NOTES.txt"])
		})
	}
}

func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o600); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./charts -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); run go test ./charts -update if the change is intended:\n%s", golden, diff)
	}
}
