package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// Observed is what -observability's telemetry and audit log produced, so
// the report shows they were working and not silently off.
type Observed struct {
	// SpansExported counts spans the in-process collector received.
	SpansExported int64 `json:"spans_exported"`
	// AuditRecords and AuditBytes are what the audit files hold.
	AuditRecords int   `json:"audit_records"`
	AuditBytes   int64 `json:"audit_bytes"`
}

// observability is the collector and audit directory of one run.
type observability struct {
	col *collector
	dir string
}

// observe turns telemetry and the audit log on in bc.
func observe(bc *benchConfig) (*observability, error) {
	// The config names every exporter setting; only this variable could
	// still switch the SDK off behind the run's back.
	if err := os.Unsetenv("OTEL_SDK_DISABLED"); err != nil {
		return nil, fmt.Errorf("unsetting OTEL_SDK_DISABLED: %w", err)
	}
	var col *collector
	var err error
	as("collector", func() { col, err = startCollector() })
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "sluice-bench-audit-")
	if err != nil {
		col.stop()
		return nil, fmt.Errorf("audit directory: %w", err)
	}
	bc.otlp, bc.auditDir = col.addr, dir
	return &observability{col: col, dir: dir}, nil
}

// report reads what was produced; call it once every Sluice has stopped
// and flushed.
func (o *observability) report() *Observed {
	r := &Observed{SpansExported: o.col.spans.Load()}
	r.AuditRecords, r.AuditBytes = countLines(o.dir)
	return r
}

// countLines counts the lines and bytes of the files in dir, a run's own
// temporary directory of logs.
func countLines(dir string) (lines int, size int64) {
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f) //nolint:gosec // a file in the run's own temp directory
		if err != nil {
			continue
		}
		size += int64(len(b))
		lines += bytes.Count(b, []byte{'\n'})
	}
	return lines, size
}

func (o *observability) close() {
	o.col.stop()
	_ = os.RemoveAll(o.dir)
}
