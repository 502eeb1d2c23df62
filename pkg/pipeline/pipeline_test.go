package pipeline_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

type rec struct {
	name  string
	log   *[]string
	err   error
	reply bool
}

func (r rec) Name() string { return r.name }
func (r rec) OnRequest(_ context.Context, x *pipeline.Exchange) error {
	*r.log = append(*r.log, r.name)
	if r.reply {
		x.Reply = &pipeline.Reply{Status: 200}
	}
	return r.err
}
func (r rec) OnResponseHeaders(context.Context, *pipeline.Exchange) error { return nil }
func (r rec) OnResponseBody(_ context.Context, _ *pipeline.Exchange, b []byte, _ bool) ([]byte, error) {
	return append(b, r.name...), nil
}

func TestOrderAndShortCircuit(t *testing.T) {
	var log []string
	boom := gwerror.New(gwerror.PermissionDenied, "no")
	tests := []struct {
		name    string
		stages  []pipeline.RequestStage
		want    string
		wantErr error
	}{
		{"runs in order", []pipeline.RequestStage{rec{name: "a", log: &log}, rec{name: "b", log: &log}}, "a,b", nil},
		{"local reply stops the chain", []pipeline.RequestStage{rec{name: "a", log: &log, reply: true}, rec{name: "b", log: &log}}, "a", nil},
		{"error stops the chain", []pipeline.RequestStage{rec{name: "a", log: &log, err: boom}, rec{name: "b", log: &log}}, "a", boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log = nil
			p, err := pipeline.New(pipeline.Stages{Request: tt.stages})
			if err != nil {
				t.Fatal(err)
			}
			err = p.Request(context.Background(), &pipeline.Exchange{})
			if got := strings.Join(log, ","); got != tt.want {
				t.Errorf("ran %q, want %q", got, tt.want)
			}
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestInternalErrorsNameTheStage(t *testing.T) {
	var log []string
	p, _ := pipeline.New(pipeline.Stages{Request: []pipeline.RequestStage{rec{name: "limits", log: &log, err: errors.New("redis down")}}})
	err := p.Request(context.Background(), &pipeline.Exchange{})
	if err == nil || !strings.HasPrefix(err.Error(), "limits: ") {
		t.Errorf("err = %v, want it prefixed with the stage name", err)
	}
}

func TestResponseChain(t *testing.T) {
	var log []string
	p, _ := pipeline.New(pipeline.Stages{Response: []pipeline.ResponseStage{rec{name: "1", log: &log}, rec{name: "2", log: &log}}})
	out, err := p.ResponseBody(context.Background(), &pipeline.Exchange{}, []byte("x"), true)
	if err != nil || string(out) != "x12" {
		t.Errorf("got %q %v, want each stage to see the previous one's output", out, err)
	}
}

func TestDuplicateStageRejected(t *testing.T) {
	var log []string
	_, err := pipeline.New(pipeline.Stages{Request: []pipeline.RequestStage{rec{name: "a", log: &log}, rec{name: "a", log: &log}}})
	if err == nil {
		t.Fatal("duplicate stage names must fail at startup")
	}
}

func TestHeadersGet(t *testing.T) {
	h := pipeline.Headers{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}, {Key: "a", Value: "3"}}
	if h.Get("a") != "1" || h.Get("b") != "2" || h.Get("c") != "" {
		t.Errorf("Get misbehaves: %v", h)
	}
}

func TestSameBytes(t *testing.T) {
	b := []byte(`{"model":"m"}`)
	copied := append([]byte(nil), b...)
	tests := []struct {
		name string
		a, b []byte
		want bool
	}{
		{"the very bytes", b, b, true},
		{"an equal copy is not the same", copied, b, false},
		{"a prefix is not the same", b[:3], b, false},
		{"empty is never the same", nil, nil, false},
	}
	for _, tt := range tests {
		if got := pipeline.SameBytes(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: got %v", tt.name, got)
		}
	}
}

// TestSetMetadata checks that a key set twice keeps one entry, the last
// value, and that unset keys read as absent.
func TestSetMetadata(t *testing.T) {
	var m pipeline.Mutation
	if _, ok := m.MetadataValue("tenant"); ok || m.Metadata != nil {
		t.Fatal("metadata before any was set")
	}
	m.SetMetadata("tenant", "acme")
	m.SetMetadata("key", "k1")
	m.SetMetadata("tenant", "globex")
	if len(m.Metadata) != 2 {
		t.Fatalf("metadata = %v, want two entries", m.Metadata)
	}
	if v, ok := m.MetadataValue("tenant"); !ok || v != "globex" {
		t.Errorf("tenant = %q, %v; want the later value", v, ok)
	}
	if v, _ := m.MetadataValue("key"); v != "k1" {
		t.Errorf("key = %q", v)
	}
}

// TestMutationReset: a reset mutation asks for nothing, whatever the
// previous phase asked, and reuses its room.
func TestMutationReset(t *testing.T) {
	var m pipeline.Mutation
	m.Set("x-sluice-backend", "openai")
	m.Remove("authorization")
	m.SetMetadata("tenant", "acme")
	m.Body, m.ReplaceBody, m.ClearRouteCache, m.StreamBody = []byte("{}"), true, true, true
	room := &m.SetHeaders[:1][0]
	m.Reset()
	if len(m.SetHeaders)+len(m.RemoveHeaders)+len(m.Metadata) != 0 || m.Body != nil || m.ReplaceBody || m.ClearRouteCache || m.StreamBody {
		t.Fatalf("after Reset: %+v", m)
	}
	if _, ok := m.MetadataValue("tenant"); ok {
		t.Error("metadata survived Reset")
	}
	m.Set("retry-after", "1")
	if &m.SetHeaders[0] != room {
		t.Error("Reset did not keep the headers' room")
	}
	m.SetMetadata("model", "gpt-4o")
	m.ResetMetadata()
	if len(m.Metadata) != 0 || len(m.SetHeaders) != 1 {
		t.Errorf("after ResetMetadata: %+v", m)
	}
}

// TestAtEndOrder: functions run last registered first, past the room the
// exchange keeps for them, once.
func TestAtEndOrder(t *testing.T) {
	var x pipeline.Exchange
	var got []int
	for i := range 10 { // the exchange keeps room for 8
		x.AtEnd(func(context.Context) { got = append(got, i) })
	}
	x.End(context.Background())
	x.End(context.Background())
	if want := []int{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}; !slices.Equal(got, want) {
		t.Errorf("ran %v, want %v", got, want)
	}
}

// deep is a stage whose stack need can change while it runs, as the
// policy stage's does when a policy is loaded or removed.
type deep struct {
	rec
	need *int
}

func (d deep) StackBytes() int { return *d.need }

func TestStackBytesIsTheDeepestStagesNow(t *testing.T) {
	req, resp := 0, 0
	p, err := pipeline.New(pipeline.Stages{
		Request:  []pipeline.RequestStage{rec{name: "plain"}, deep{rec{name: "policy"}, &req}},
		Response: []pipeline.ResponseStage{deep{rec{name: "guard"}, &resp}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ req, resp, want int }{
		{0, 0, 0}, {24 << 10, 0, 24 << 10}, {24 << 10, 32 << 10, 32 << 10}, {0, 4 << 10, 4 << 10},
	} {
		req, resp = tc.req, tc.resp
		if got := p.StackBytes(); got != tc.want {
			t.Errorf("stages needing %d and %d: StackBytes() = %d, want %d", tc.req, tc.resp, got, tc.want)
		}
	}
	plain, err := pipeline.New(pipeline.Stages{Request: []pipeline.RequestStage{rec{name: "plain"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := plain.StackBytes(); got != 0 {
		t.Errorf("no deep stage: StackBytes() = %d, want 0", got)
	}
	var none *pipeline.Pipeline
	if got := none.StackBytes(); got != 0 {
		t.Errorf("no pipeline: StackBytes() = %d, want 0", got)
	}
}
