package injection

import (
	"encoding/json"
	"os"
	"testing"
)

// TestRecordedEvaluations scores every evaluation set of testdata/cv.json
// with the embedded detector and requires the confusion counts the
// training program recorded: the scoring path and the trainer's features
// agree on text the fit never saw, long prompts included.
func TestRecordedEvaluations(t *testing.T) {
	raw, err := os.ReadFile("testdata/cv.json")
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Evals []struct {
			File     string `json:"file"`
			Combined struct {
				TP, FP, FN, TN int
			} `json:"combined"`
		} `json:"evaluations"`
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Evals) == 0 {
		t.Fatal("cv.json records no evaluation sets")
	}
	for _, e := range rec.Evals {
		t.Run(e.File, func(t *testing.T) {
			samples, err := LoadSamples(e.File)
			if err != nil {
				t.Fatal(err)
			}
			m := Evaluate(New(), samples, DefaultThreshold)
			if m.TP != e.Combined.TP || m.FP != e.Combined.FP || m.FN != e.Combined.FN || m.TN != e.Combined.TN {
				t.Errorf("TP %d FP %d FN %d TN %d, cv.json records %+v", m.TP, m.FP, m.FN, m.TN, e.Combined)
			}
		})
	}
}

// TestLongPrompts holds the detector to its figures on long prompts: the
// synthetic held-out set (templates the training never used) and the
// hand-written long prompts. The bounds sit a little outside the recorded
// figures so that a retrain that loses ground fails.
func TestLongPrompts(t *testing.T) {
	tests := []struct {
		file      string
		minRecall float64
		maxFPR    float64
	}{
		{"testdata/heldout.jsonl", 0.95, 0.05},
		{"testdata/augment_heldout.jsonl", 0.95, 0.35},
		{"testdata/long_heldout.jsonl", 0.80, 0.40},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			samples, err := LoadSamples(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			m := Evaluate(New(), samples, DefaultThreshold)
			fpr := float64(m.FP) / float64(max(1, m.FP+m.TN))
			if m.Recall < tt.minRecall || fpr > tt.maxFPR {
				t.Errorf("recall %.3f, false-positive rate %.3f; want at least %.2f and at most %.2f", m.Recall, fpr, tt.minRecall, tt.maxFPR)
			}
		})
	}
}
