// Package protect is the request side of data protection: it finds PII and
// secrets in every text field of a request (through the text view, so one
// stage serves every inbound format), scores prompt injection, and then
// masks, hashes, pseudonymizes or blocks what it found, strips invisible
// characters and plants a canary in the system prompt.
//
// It runs as two stages around the policy decision, because the policy
// must see what was found and may change what is done about it:
//
//   - Inspect, right after the body is parsed, scans and scores. It counts
//     findings by type for the policy input (input.findings) and replaces
//     the last user message excerpt the policy sees with its masked form,
//     so a decision log never holds a detected value. It changes nothing
//     that goes upstream.
//   - Redact, right after the decision, settles each type's action (the
//     configured one, or the policy's decision.overrides.redaction),
//     refuses the request when an action is block, and otherwise applies
//     every edit in one rebuild of the body.
//
// The scan is handed from one to the other, so the body is read and
// scanned once. With no data_protection section neither stage does any
// work.
package protect

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/injection"
	"github.com/sluice-gw/sluice/pkg/pii"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/presidio"
	"github.com/sluice-gw/sluice/pkg/textview"
)

// State is what the two stages share: the detectors built from the
// current config, and the scans waiting between inspection and redaction.
type State struct {
	log *slog.Logger

	mu  sync.Mutex // serialises Reload
	cur atomic.Pointer[engine]

	scans sync.Pool

	detectorOnce sync.Once
	detector     *injection.Detector
}

// engine is what one config's data_protection section builds.
type engine struct {
	cfg       *config.DataProtection
	scanner   *pii.Scanner
	presidio  *presidio.Client
	detector  *injection.Detector // nil when scoring is off
	threshold float64
}

// NewState returns the shared state, off until Reload brings a config
// with a data_protection section.
func NewState(log *slog.Logger) *State {
	s := &State{log: log}
	s.scans.New = func() any { return new(scan) }
	return s
}

// Reload builds the detectors of snap's data_protection section. An error
// (a custom detector the scanner rejects) keeps the previous ones serving.
func (s *State) Reload(_ context.Context, snap *config.Snapshot) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := snap.DataProtection
	if d == nil {
		s.cur.Store(nil)
		return nil
	}
	e, err := s.build(d)
	if err != nil {
		return fmt.Errorf("data_protection: %w", err)
	}
	if d.HashKeyConfigured && d.HashKey == nil {
		s.log.Warn("data_protection.hash_key could not be read: the hash action masks instead")
	}
	s.cur.Store(e)
	return nil
}

func (s *State) build(d *config.DataProtection) (*engine, error) {
	pc := pii.Config{Types: d.Detectors}
	for _, c := range d.Custom {
		pc.Custom = append(pc.Custom, pii.CustomDetector{
			Type: c.Type, Patterns: c.Patterns, Phrases: c.Phrases, CaseInsensitive: c.CaseInsensitive,
			Validator: c.Validator, ContextWords: c.ContextWords, Score: c.Score,
		})
	}
	sc, err := pii.New(pc)
	if err != nil {
		return nil, err
	}
	e := &engine{cfg: d, scanner: sc}
	if in := d.Injection; in != nil {
		// The model is embedded and immutable: one per process, shared by
		// every config.
		s.detectorOnce.Do(func() { s.detector = injection.New() })
		e.detector = s.detector
		e.threshold = in.Threshold
		if e.threshold == 0 {
			e.threshold = injection.DefaultThreshold
		}
	}
	if p := d.Presidio; p != nil {
		e.presidio, err = presidio.New(presidio.Config{
			Endpoint: p.URL, APIKey: p.APIKey, Language: p.Language, Entities: p.Entities,
			ScoreThreshold: p.ScoreThreshold, Timeout: p.Timeout, FailOpen: p.FailOpen,
		})
		if err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Inspect is the request stage that scans and scores.
type Inspect struct{ s *State }

// Redact is the request stage that applies the actions.
type Redact struct{ s *State }

// Stages returns the inspection and redaction stages sharing s.
func (s *State) Stages() (*Inspect, *Redact) { return &Inspect{s}, &Redact{s} }

// Name implements pipeline.RequestStage.
func (*Inspect) Name() string { return "protect" }

// Name implements pipeline.RequestStage.
func (*Redact) Name() string { return "redact" }

// format is the text view format of a model call; 0 for anything else.
func format(api pipeline.API) textview.Format {
	switch api {
	case pipeline.APIChat:
		return textview.ChatCompletions
	case pipeline.APIEmbeddings:
		return textview.Embeddings
	case pipeline.APIMessages:
		return textview.Messages
	}
	return 0
}

// OnRequest implements pipeline.RequestStage.
func (i *Inspect) OnRequest(ctx context.Context, x *pipeline.Exchange) error {
	e := i.s.cur.Load()
	f := format(x.API)
	if e == nil || f == 0 {
		return nil
	}
	sc := i.s.scans.Get().(*scan)
	if err := sc.run(ctx, e, f, x); err != nil {
		i.s.release(sc)
		return err
	}
	if !sc.needsRedact() {
		i.s.release(sc)
		return nil
	}
	// The scan waits on the exchange for the redact stage; an exchange
	// that ends before it (a policy deny) returns the scan at its end.
	x.Protect.Pending = sc
	x.AtEnd(func(context.Context) {
		if sc, ok := x.Protect.Pending.(*scan); ok {
			x.Protect.Pending = nil
			i.s.release(sc)
		}
	})
	return nil
}

// OnRequest implements pipeline.RequestStage.
func (r *Redact) OnRequest(_ context.Context, x *pipeline.Exchange) error {
	sc, ok := x.Protect.Pending.(*scan)
	if !ok {
		return nil
	}
	x.Protect.Pending = nil
	defer r.s.release(sc)
	return sc.redact(x)
}

func (s *State) release(sc *scan) {
	sc.reset()
	s.scans.Put(sc)
}
