package policy

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// logEvent is what Evaluate hands to the decision log. Input and result are
// immutable AST values, so turning them into JSON can wait for the writer
// goroutine and costs the request nothing.
type logEvent struct {
	decisionID string
	input      ast.Value
	result     *ast.Term // nil when the decision was undefined
	timestamp  time.Time
	evalNS     int64
	err        error
	outcome    outcome
	dryRun     bool
	revision   string
	bundle     *bundleRef
}

// bundleRef names the bundle a decision was made with.
type bundleRef struct{ name, revision string }

// eventJSON is one line of the decision log, in OPA's decision-log event
// format (EventV1), so tools that read OPA's logs read Sluice's.
type eventJSON struct {
	Labels     map[string]string     `json:"labels"`
	DecisionID string                `json:"decision_id"`
	Bundles    map[string]bundleJSON `json:"bundles,omitempty"`
	Path       string                `json:"path"`
	Input      any                   `json:"input"`
	Result     *any                  `json:"result,omitempty"`
	Error      *errorJSON            `json:"error,omitempty"`
	Timestamp  string                `json:"timestamp"`
	Metrics    map[string]int64      `json:"metrics"`
	Custom     customJSON            `json:"custom"`
}

type bundleJSON struct {
	Revision string `json:"revision,omitempty"`
}

type errorJSON struct {
	Code     string        `json:"code"`
	Message  string        `json:"message"`
	Location *ast.Location `json:"location,omitempty"`
}

// customJSON is what Sluice adds to OPA's event: what it did with the
// decision, and which policy made it.
type customJSON struct {
	Outcome        string `json:"outcome"`
	Mode           string `json:"mode"`
	PolicyRevision string `json:"policy_revision"`
}

// decisionLog writes events as JSON lines on its own goroutine. A full
// queue drops the event and counts it; Evaluate never waits for the writer.
type decisionLog struct {
	w      io.Writer
	queue  chan *logEvent
	done   chan struct{}
	exited chan struct{}
	closed atomic.Bool
	once   sync.Once
	drops  *atomic.Uint64
	labels map[string]string
	path   string
	logger *slog.Logger
}

func newDecisionLog(w io.Writer, size int, path, instance string, drops *atomic.Uint64, logger *slog.Logger) *decisionLog {
	l := &decisionLog{
		w:      w,
		queue:  make(chan *logEvent, size),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
		drops:  drops,
		labels: map[string]string{"id": instance, "version": "sluice"},
		path:   path,
		logger: logger,
	}
	go l.run()
	return l
}

func (l *decisionLog) send(ev *logEvent) {
	if l.closed.Load() {
		l.drops.Add(1)
		return
	}
	select {
	case l.queue <- ev:
	default:
		l.drops.Add(1)
	}
}

// close writes what is queued and stops the writer.
func (l *decisionLog) close() {
	l.once.Do(func() {
		l.closed.Store(true)
		close(l.done)
		<-l.exited
	})
}

func (l *decisionLog) run() {
	defer close(l.exited)
	bw := bufio.NewWriterSize(l.w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	failing := false
	write := func(ev *logEvent) {
		err := enc.Encode(l.event(ev))
		if len(l.queue) == 0 && err == nil {
			err = bw.Flush()
		}
		switch {
		case err != nil && !failing:
			l.logger.Error("policy: writing the decision log", "error", err)
			failing = true
		case err == nil:
			failing = false
		}
	}
	for {
		select {
		case ev := <-l.queue:
			write(ev)
		case <-l.done:
			for {
				select {
				case ev := <-l.queue:
					write(ev)
				default:
					if err := bw.Flush(); err != nil && !failing {
						l.logger.Error("policy: writing the decision log", "error", err)
					}
					return
				}
			}
		}
	}
}

func (l *decisionLog) event(ev *logEvent) *eventJSON {
	out := &eventJSON{
		Labels:     l.labels,
		DecisionID: ev.decisionID,
		Path:       l.path,
		Timestamp:  ev.timestamp.UTC().Format(time.RFC3339Nano),
		Metrics:    map[string]int64{"timer_rego_query_eval_ns": ev.evalNS},
		Custom: customJSON{
			Outcome:        ev.outcome.String(),
			Mode:           Enforce.String(),
			PolicyRevision: ev.revision,
		},
	}
	if ev.dryRun {
		out.Custom.Mode = DryRun.String()
	}
	if ev.bundle != nil {
		out.Bundles = map[string]bundleJSON{ev.bundle.name: {Revision: ev.bundle.revision}}
	}
	if v, err := ast.JSON(ev.input); err == nil {
		out.Input = v
	}
	if ev.result != nil {
		if v, err := ast.JSON(ev.result.Value); err == nil {
			out.Result = &v
		}
	}
	if ev.err != nil {
		out.Error = errorOf(ev.err)
	}
	return out
}

// errorOf keeps OPA's error code and location when there is one.
func errorOf(err error) *errorJSON {
	var te *topdown.Error
	if errors.As(err, &te) {
		return &errorJSON{Code: te.Code, Message: te.Message, Location: te.Location}
	}
	code := "sluice_error"
	if errors.Is(err, ErrMalformed) {
		code = "malformed_decision"
	}
	return &errorJSON{Code: code, Message: err.Error()}
}
