package guard

import (
	"fmt"
	"sync"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/guard/match"
	"github.com/sluice-gw/sluice/pkg/moderation"
)

// rules are one config snapshot's guardrails, compiled. They are
// immutable; each exchange gets its own detectors from them.
type rules struct {
	dict      *match.Dictionary
	pats      *match.Patterns
	banned    []rule // by the ids the dictionary and patterns report
	pii       *piiRules
	canaryAct action
	schemaAct action // actAllow: structured output is not checked
	mod       *modRules
}

// modRules is the moderation service and how streams use it.
type modRules struct {
	checker    moderation.Checker
	window     int
	categories map[string]bool // nil: any flagged category blocks
}

// noRules is what a config without a guardrails section compiles to: only
// the canary is watched.
var noRules = &rules{canaryAct: actBlock}

func compile(g *config.Guardrails) (*rules, error) {
	if g == nil {
		return noRules, nil
	}
	r := &rules{canaryAct: parseAction(g.CanaryAction, actBlock), schemaAct: parseAction(g.JSONSchemaAction, actAllow)}
	var (
		phrases, exprs     []string
		phraseIDs, exprIDs []int
	)
	for _, b := range g.Banned {
		id := len(r.banned)
		r.banned = append(r.banned, rule{name: b.Name, act: parseAction(b.Action, actBlock)})
		for _, p := range b.Phrases {
			phrases, phraseIDs = append(phrases, p), append(phraseIDs, id)
		}
		for _, e := range b.Patterns {
			exprs, exprIDs = append(exprs, e), append(exprIDs, id)
		}
	}
	r.dict = match.NewDictionary(phrases, phraseIDs)
	var err error
	if r.pats, err = match.NewPatterns(exprs, exprIDs); err != nil {
		return nil, fmt.Errorf("guardrails.banned: %w", err)
	}
	if g.PII != nil {
		if r.pii, err = newPIIRules(g.PII); err != nil {
			return nil, fmt.Errorf("guardrails.pii: %w", err)
		}
	}
	if g.Moderation != nil {
		if r.mod, err = newModRules(g.Moderation); err != nil {
			return nil, fmt.Errorf("guardrails.moderation: %w", err)
		}
	}
	return r, nil
}

func newModRules(m *config.GuardrailModeration) (*modRules, error) {
	h := moderation.HTTP{Endpoint: m.Endpoint, APIKey: m.APIKey, Timeout: m.Timeout, FailOpen: m.FailOpen}
	mr := &modRules{window: m.StreamWindowBytes}
	var err error
	if m.Kind == config.ModerationGuardModel {
		mr.checker, err = moderation.NewGuard(moderation.GuardConfig{HTTP: h, Model: m.Model})
	} else {
		mr.checker, err = moderation.New(moderation.Config{HTTP: h, Model: m.Model})
	}
	if err != nil {
		return nil, err
	}
	if len(m.Categories) > 0 {
		mr.categories = make(map[string]bool, len(m.Categories))
		for _, c := range m.Categories {
			mr.categories[c] = true
		}
	}
	return mr, nil
}

// detectors returns fresh detectors for one exchange: they keep scratch
// space and are not shared.
func (r *rules) detectors(canaryToken string) (dets []detector, fold bool) {
	if r.dict != nil {
		dets = append(dets, &phrases{dict: r.dict, rules: r.banned})
		fold = true
	}
	if r.pats != nil {
		dets = append(dets, &patterns{set: r.pats, rules: r.banned})
	}
	if r.pii != nil {
		dets = append(dets, r.pii.detector())
	}
	if canaryToken != "" && r.canaryAct != actAllow {
		dets = append(dets, &canary{token: []byte(canaryToken), act: r.canaryAct})
	}
	return dets, fold
}

// compiled caches the rules of the snapshots in use. Requests pin the
// snapshot they started with, so a reload can leave two in use for a
// while; older ones are dropped.
type compiled struct {
	mu   sync.Mutex
	last [2]struct {
		snap *config.Snapshot
		r    *rules
	}
}

func (c *compiled) get(snap *config.Snapshot) (*rules, error) {
	if snap == nil {
		return noRules, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.last {
		if e.snap == snap {
			return e.r, nil
		}
	}
	r, err := compile(snap.Guardrails)
	if err != nil {
		return nil, err
	}
	c.last[1] = c.last[0]
	c.last[0].snap, c.last[0].r = snap, r
	return r, nil
}
