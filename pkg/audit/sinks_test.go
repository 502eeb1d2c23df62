package audit

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
)

type memExporter struct {
	mu   sync.Mutex
	recs []sdklog.Record
}

func (e *memExporter) Export(_ context.Context, rs []sdklog.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range rs {
		e.recs = append(e.recs, r.Clone())
	}
	return nil
}
func (*memExporter) Shutdown(context.Context) error   { return nil }
func (*memExporter) ForceFlush(context.Context) error { return nil }

func TestOTLPSink(t *testing.T) {
	exp := &memExporter{}
	s := NewOTLPSink(exp)
	w, err := NewWriter(Options{Sinks: []Sink{s}, QueueRecords: 4, QueueBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	r := request("req-9")
	w.Add(r)
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(exp.recs) != 3 {
		t.Fatalf("exported %d log records, want 3 (segment, request, end)", len(exp.recs))
	}
	got := exp.recs[1]
	attrs := map[string]string{}
	got.WalkAttributes(func(kv attribute.KeyValue) bool {
		attrs[string(kv.Key)] = kv.Value.String()
		return true
	})
	if got.EventName() != "sluice.audit" || !got.Timestamp().Equal(r.Time) ||
		attrs["sluice.audit.request_id"] != "req-9" || attrs["sluice.audit.seq"] != "2" || attrs["sluice.audit.type"] != TypeRequest {
		t.Errorf("log record: event %q, time %s, attributes %v", got.EventName(), got.Timestamp(), attrs)
	}
	if body := got.Body().AsString(); len(body) == 0 || body[0] != '{' {
		t.Errorf("body %q, want the JSON record", body)
	}
}

func TestFileRotatesByAge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	fs, _, _, err := OpenFile(FileOptions{Path: path, MaxBytes: mib, RotateEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fs.now = func() time.Time { return now }
	fs.opened = now
	for range 3 {
		if err := fs.Write([]byte("{}\n")); err != nil {
			t.Fatal(err)
		}
		now = now.Add(40 * time.Minute)
	}
	if err := fs.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	files, err := rotated(path)
	if err != nil || len(files) != 1 {
		t.Errorf("rotated files %v, %v; want one rotation after an hour", files, err)
	}
}
