package translatetest

import (
	"fmt"
	"path/filepath"
	"testing"
)

// Corpus renders fuzz arguments in the `go test fuzz v1` file format, so
// seed corpora under testdata/fuzz/<FuzzName>/ can be generated from the
// same fixtures as the golden files. Supported types: []byte, string, bool,
// int, int64, uint64.
func Corpus(args ...any) ([]byte, error) {
	b := []byte("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			b = fmt.Appendf(b, "[]byte(%q)\n", v)
		case string:
			b = fmt.Appendf(b, "string(%q)\n", v)
		case bool:
			b = fmt.Appendf(b, "bool(%t)\n", v)
		case int:
			b = fmt.Appendf(b, "int(%d)\n", v)
		case int64:
			b = fmt.Appendf(b, "int64(%d)\n", v)
		case uint64:
			b = fmt.Appendf(b, "uint64(%d)\n", v)
		default:
			return nil, fmt.Errorf("translatetest.Corpus: unsupported type %T", a)
		}
	}
	return b, nil
}

// SeedCorpus keeps testdata/fuzz/<fuzzName>/<seed> equal to Corpus(args...):
// it is a golden file, rewritten with -update, so committed seeds follow
// the fixtures they come from.
func SeedCorpus(t testing.TB, fuzzName, seed string, args ...any) {
	t.Helper()
	b, err := Corpus(args...)
	if err != nil {
		t.Fatal(err)
	}
	Golden(t, filepath.Join("testdata", "fuzz", fuzzName, seed), b)
}
