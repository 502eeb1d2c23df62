package policy

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestRememberedDecisionsMatchEvaluated runs thousands of varied requests
// through the reference policy twice, with decisions remembered and
// without, and wants the same decision for each: the memo may only answer
// a request that agrees with an earlier one on everything the policy
// read. Each request is also sent again with a new id and last message,
// which the policy reads only for tenants with keyword routes, and the
// whole lot again in reverse order.
func TestRememberedDecisionsMatchEvaluated(t *testing.T) {
	shipped, err := os.ReadFile(filepath.Join(refPolicyDir, "data.json"))
	if err != nil {
		t.Fatal(err)
	}
	ins := append(refInputs(), refRandomInputs(3000)...)
	var all []*Input
	for _, in := range ins {
		again := *in
		again.Request.ID += "-again"
		again.Request.LastUserMessage += " and again"
		all = append(all, in, &again)
	}
	reversed := slices.Clone(all)
	slices.Reverse(reversed)
	all = append(all, reversed...)
	for _, variant := range []struct{ name, data string }{
		{"shipped data", string(shipped)},
		{"every knob", refRichData},
	} {
		t.Run(variant.name, func(t *testing.T) {
			dir := refPolicyCopy(t, refPolicyDir, variant.data)
			memo, plain := refEngineMemo(t, dir, 4096), refEngineMemo(t, dir, 0)
			ignore := cmpopts.IgnoreFields(Decision{}, "DecisionID", "Remembered")
			differ := 0
			for i, in := range all {
				got, errG := memo.Evaluate(context.Background(), in)
				want, errW := plain.Evaluate(context.Background(), in)
				if (errG == nil) != (errW == nil) {
					t.Fatalf("input %d: error %v, want %v", i, errG, errW)
				}
				if diff := cmp.Diff(want, got, ignore); diff != "" {
					differ++
					if differ <= 5 {
						t.Errorf("input %d (remembered %v; %+v, %s %s, %s) (-evaluated +remembered):\n%s",
							i, got.Remembered, in.Identity, in.Request.API, in.Request.Model, in.Time, diff)
					}
				}
			}
			s := memo.Stats()
			t.Logf("%d decisions: %d remembered, %d evaluated and kept, %d evaluated only", len(all), s.MemoHits, s.MemoMisses, s.MemoSkipped)
			if differ > 0 {
				t.Fatalf("%d of %d decisions differ", differ, len(all))
			}
			// Most requests repeat one before them, if only without
			// their id: a memo that remembered nothing would pass the
			// rest of this test.
			if s.MemoHits < uint64(len(all))/3 {
				t.Fatalf("only %d of %d decisions remembered", s.MemoHits, len(all))
			}
		})
	}
}

func refEngineMemo(t *testing.T, dir string, memo int) *Engine {
	return refEngineOpts(t, Options{Dir: dir, MemoSize: memo})
}

// TestRememberedDecisionsConcurrently has four goroutines share one memo,
// each sending the requests in its own order, and wants every decision
// to be the one evaluating gives.
func TestRememberedDecisionsConcurrently(t *testing.T) {
	ins := refRandomInputs(1500)
	dir := refPolicyCopy(t, refPolicyDir, refRichData)
	memo, plain := refEngineMemo(t, dir, 512), refEngineMemo(t, dir, 0)
	want := make([]*Decision, len(ins))
	for i, in := range ins {
		var err error
		if want[i], err = plain.Evaluate(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	ignore := cmpopts.IgnoreFields(Decision{}, "DecisionID", "Remembered")
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for range 3 * len(ins) {
				i := r.IntN(len(ins))
				got, err := memo.Evaluate(context.Background(), ins[i])
				if err != nil {
					t.Error(err)
					return
				}
				if diff := cmp.Diff(want[i], got, ignore); diff != "" {
					t.Errorf("input %d (-evaluated +remembered):\n%s", i, diff)
					return
				}
			}
		})
	}
	wg.Wait()
	if s := memo.Stats(); s.MemoHits == 0 {
		t.Fatalf("nothing remembered: %+v", s)
	}
}

// TestRememberedCountsSurviveAReload: a new policy, catalogue or data
// starts a new memo, and the engine's counts go on from the old one's.
func TestRememberedCountsSurviveAReload(t *testing.T) {
	e := refEngineOpts(t, Options{Dir: refPolicyDir, MemoSize: 64})
	in := refInputs()[0]
	eval := func() *Decision {
		d, err := e.Evaluate(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	eval()
	if !eval().Remembered {
		t.Fatal("the same request twice was evaluated twice")
	}
	if err := e.SetData(map[string]any{"changed": true}); err != nil {
		t.Fatal(err)
	}
	if s := e.Stats(); s.MemoHits != 1 || s.MemoMisses != 1 {
		t.Fatalf("after the reload: %+v, want the old memo's hit and miss", s)
	}
	if eval().Remembered {
		t.Fatal("the new data was decided by the old memo")
	}
	if s := e.Stats(); s.MemoHits != 1 || s.MemoMisses != 2 {
		t.Fatalf("after a request on the new data: %+v, want 1 hit and 2 misses", s)
	}
}
