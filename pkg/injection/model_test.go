package injection

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"

	"github.com/sluice-gw/sluice/pkg/injection/internal/ngram"
)

// cvRecord is the part of testdata/cv.json the tests check.
type cvRecord struct {
	Samples   int     `json:"samples"`
	Threshold float64 `json:"threshold"`
	Weights   string  `json:"weights_sha256"`
	Holdout   struct {
		Combined struct{ F1 float64 } `json:"combined"`
	} `json:"holdout"`
	CV struct {
		Combined struct{ Precision, Recall, F1 float64 } `json:"combined"`
	} `json:"cv"`
}

func readRecord(t *testing.T) cvRecord {
	t.Helper()
	raw, err := os.ReadFile("testdata/cv.json")
	if err != nil {
		t.Fatal(err)
	}
	var rec cvRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestRecordedCrossValidation checks that the committed weights are the
// ones the recorded cross-validation describes, and that the figures meet
// the bar: F1 of at least 0.85 cross-validated and on the held-out split.
func TestRecordedCrossValidation(t *testing.T) {
	rec := readRecord(t)
	sum := sha256.Sum256(weightsFile)
	if got := hex.EncodeToString(sum[:]); got != rec.Weights {
		t.Errorf("weights.bin has sha256 %s, cv.json records %s: run go generate", got, rec.Weights)
	}
	if rec.Threshold != DefaultThreshold {
		t.Errorf("DefaultThreshold %v, cv.json chose %v: run go generate", DefaultThreshold, rec.Threshold)
	}
	if rec.CV.Combined.F1 < 0.85 || rec.Holdout.Combined.F1 < 0.85 {
		t.Errorf("cross-validated F1 %.3f, held-out F1 %.3f; want at least 0.85", rec.CV.Combined.F1, rec.Holdout.Combined.F1)
	}
}

// trainingData returns the training set's path, skipping when the shared
// data is not checked out beside the repository (and failing in CI, where
// it always is).
func trainingData(t *testing.T) string {
	t.Helper()
	const path = "../../../shared/data/prompt-injections/train.jsonl"
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("training data missing in CI: %v", err)
		}
		t.Skipf("training data not found at %s (the shared repository beside this one): %v", path, err)
	}
	return path
}

// TestRetrainIsIdentical refits the final model from the recorded
// settings and requires byte-identical weights and calibration.
func TestRetrainIsIdentical(t *testing.T) {
	data := trainingData(t)
	if testing.Short() {
		t.Skip("refitting takes a few seconds")
	}
	out, err := exec.Command("go", "run", "./train", "-check", "-data", data).CombinedOutput()
	if err != nil {
		t.Fatalf("go run ./train -check: %v\n%s", err, out)
	}
}

// TestTrainingSetScores checks the embedded model end to end on the data
// it was fitted on: a loading or feature mismatch shows as a collapse.
func TestTrainingSetScores(t *testing.T) {
	samples, err := LoadSamples(trainingData(t))
	if err != nil {
		t.Fatal(err)
	}
	rec := readRecord(t)
	if len(samples) != rec.Samples {
		t.Errorf("%d samples, cv.json was computed on %d", len(samples), rec.Samples)
	}
	if m := Evaluate(New(), samples, DefaultThreshold); m.F1 < 0.95 {
		t.Errorf("F1 on the training set %.3f, want at least 0.95: %+v", m.F1, m)
	}
}

// TestSumsMatchGrams holds the scoring loop to the training features.
func TestSumsMatchGrams(t *testing.T) {
	d := New()
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab  \n\tcé#<|xyz")
	for _, n := range []int{0, 1, 2, 3, 5, 511, 512, 513, 1024, 3000} {
		text := make([]byte, n)
		for i := range text {
			text[i] = alphabet[rng.IntN(len(alphabet))]
		}
		var want []ngram.Sum
		for _, g := range ngram.Grams(nil, text) {
			for g.Chunk >= len(want) {
				want = append(want, ngram.Sum{})
			}
			want[g.Chunk].W += float64(d.weights[g.Bucket])
			want[g.Chunk].N++
		}
		if len(want) == 0 {
			want = []ngram.Sum{{}}
		}
		got := ngram.Sums(nil, d.weights, text)
		if len(got) != len(want) {
			t.Fatalf("len %d: %d chunks, grams give %d", n, len(got), len(want))
		}
		for i := range got {
			if got[i].N != want[i].N || math.Abs(got[i].W-want[i].W) > 1e-9 {
				t.Errorf("len %d chunk %d: Sums %+v, Grams %+v", n, i, got[i], want[i])
			}
		}
	}
}
