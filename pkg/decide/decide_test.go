package decide

import (
	"log/slog"
	"testing"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/policy"
)

// TestEvaluatorFromConfig checks that policy.evaluator reaches the engine
// and that changing it reloads the policy rather than only its data.
func TestEvaluatorFromConfig(t *testing.T) {
	s := New(slog.New(slog.DiscardHandler))
	for _, tc := range []struct {
		ev          config.Evaluator
		interpreter bool
	}{{config.EvaluatorCompiled, false}, {config.EvaluatorInterpreter, true}, {"", false}} {
		if got := s.options(&config.Policy{Evaluator: tc.ev}, policy.Catalogue{}).Interpreter; got != tc.interpreter {
			t.Errorf("evaluator %q: Interpreter = %v, want %v", tc.ev, got, tc.interpreter)
		}
	}
	a := &config.Policy{Dir: "p", Evaluator: config.EvaluatorCompiled}
	b := &config.Policy{Dir: "p", Evaluator: config.EvaluatorInterpreter}
	if sameSource(a, b) {
		t.Error("a change of evaluator counts as the same policy source")
	}
}

func TestStackBytesWhileAPolicyIsLoaded(t *testing.T) {
	s := New(slog.New(slog.DiscardHandler))
	if got := s.StackBytes(); got != 0 {
		t.Errorf("no policy: StackBytes() = %d, want 0", got)
	}
	s.engine.Store(&policy.Engine{})
	if got := s.StackBytes(); got != policy.StackBytes {
		t.Errorf("a policy loaded: StackBytes() = %d, want %d", got, policy.StackBytes)
	}
}
