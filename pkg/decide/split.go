package decide

import (
	"hash/fnv"

	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/policy"
)

// plan turns the decision's route into the exchange's routing plan,
// choosing a split target when the policy asked for one.
func plan(x *pipeline.Exchange, d *policy.Decision) pipeline.Plan {
	r := d.Route
	p := pipeline.Plan{Model: r.Model, Backend: r.Backend}
	if len(r.Split) > 0 {
		t := pick(r.Split, stickyKey(x, r.Sticky))
		p.Model, p.Backend = t.Model, t.Backend
		if p.Model == "" {
			p.Model = r.Model
		}
	}
	for _, f := range r.Fallback {
		p.Fallback = append(p.Fallback, pipeline.Target{Model: f.Model, Backend: f.Backend})
	}
	return p
}

// stickyKey is what keeps a caller on one split target. Without a sticky
// key the choice is still deterministic: on the request id, so a replayed
// request lands where it did before.
func stickyKey(x *pipeline.Exchange, sticky string) string {
	id := x.Identity
	switch {
	case sticky == "user" && id != nil && id.User != "":
		return "user:" + id.User
	case sticky == "user" && id != nil:
		return "subject:" + id.Subject
	case sticky == "key" && id != nil && id.Key != nil:
		return "key:" + id.Key.ID
	case sticky == "tenant" && id != nil:
		return "tenant:" + id.Tenant
	case sticky == "session":
		if s := x.Header.Get("x-session-id"); s != "" {
			return "session:" + s
		}
	}
	return "request:" + x.RequestID
}

// pick chooses a target with probability proportional to its weight,
// deterministically for a given key.
func pick(ts []policy.Target, key string) policy.Target {
	total := 0
	for _, t := range ts {
		total += t.Weight
	}
	if total <= 0 {
		return ts[0]
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	n := int(h.Sum64() % uint64(total)) //nolint:gosec // total is a positive int
	for _, t := range ts {
		if n < t.Weight {
			return t
		}
		n -= t.Weight
	}
	return ts[len(ts)-1]
}
