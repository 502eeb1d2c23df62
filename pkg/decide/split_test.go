package decide

import (
	"math"
	"strconv"
	"testing"

	"github.com/sluice-gw/sluice/pkg/identity"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/policy"
)

func TestPickFollowsWeights(t *testing.T) {
	targets := []policy.Target{{Model: "a", Weight: 70}, {Model: "b", Weight: 20}, {Model: "c", Weight: 10}}
	counts := map[string]int{}
	const n = 20000
	for i := range n {
		counts[pick(targets, "request:"+strconv.Itoa(i)).Model]++
	}
	for _, tg := range targets {
		got := float64(counts[tg.Model]) / n * 100
		if math.Abs(got-float64(tg.Weight)) > 1.5 {
			t.Errorf("%s: %.1f%%, want %d%% ± 1.5", tg.Model, got, tg.Weight)
		}
	}
}

func TestStickyKeys(t *testing.T) {
	id := &identity.Identity{Subject: "key:k1", User: "alice", Tenant: "acme", Key: &identity.KeyInfo{ID: "k1"}}
	x := &pipeline.Exchange{RequestID: "r1", Identity: id,
		Header: pipeline.Headers{{Key: "x-session-id", Value: "s9"}}}
	tests := map[string]string{
		"user": "user:alice", "key": "key:k1", "tenant": "tenant:acme", "session": "session:s9", "": "request:r1",
	}
	for sticky, want := range tests {
		if got := stickyKey(x, sticky); got != want {
			t.Errorf("sticky %q: key %q, want %q", sticky, got, want)
		}
	}
	x.Identity = &identity.Identity{Subject: "spiffe://td/ns/a/sa/b"}
	if got := stickyKey(x, "user"); got != "subject:spiffe://td/ns/a/sa/b" {
		t.Errorf("user without a user name should fall back to the subject, got %q", got)
	}
	x.Header = nil
	if got := stickyKey(x, "session"); got != "request:r1" {
		t.Errorf("session without a session id should fall back to the request, got %q", got)
	}
}

func TestPlanFromDecision(t *testing.T) {
	x := &pipeline.Exchange{RequestID: "r"}
	d := &policy.Decision{Route: policy.Route{Model: "base", Backend: "eu",
		Fallback: []policy.Target{{Model: "f1"}, {Model: "f2", Backend: "b2"}}}}
	p := plan(x, d)
	if p.Model != "base" || p.Backend != "eu" || len(p.Fallback) != 2 || p.Fallback[1].Backend != "b2" {
		t.Errorf("plan %+v", p)
	}
	d.Route.Split = []policy.Target{{Backend: "only", Weight: 1}}
	if p := plan(x, d); p.Model != "base" || p.Backend != "only" {
		t.Errorf("a split target without a model keeps the routed model: %+v", p)
	}
}
