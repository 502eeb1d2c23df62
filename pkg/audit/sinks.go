package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go.opentelemetry.io/otel/attribute"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/tidwall/gjson"
)

// StreamSink writes records to a stream such as standard output.
type StreamSink struct{ W io.Writer }

// Write implements Sink.
func (s StreamSink) Write(lines []byte) error {
	_, err := s.W.Write(lines)
	return err
}

// Close implements Sink; the stream belongs to the caller.
func (StreamSink) Close(context.Context) error { return nil }

// OTLPSink exports records as OpenTelemetry log records: the body is the
// record's JSON line, and the fields a log backend indexes on are also
// attributes. The SDK's batch processor queues and exports them; records
// it cannot export are counted by the SDK, not by Writer.Dropped.
type OTLPSink struct {
	provider *sdklog.LoggerProvider
	logger   otellog.Logger
}

// NewOTLPSink exports through exp.
func NewOTLPSink(exp sdklog.Exporter) *OTLPSink {
	p := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(exp)))
	return &OTLPSink{provider: p, logger: p.Logger("github.com/sluice-gw/sluice/pkg/audit")}
}

// otlpAttributes are the record fields copied into attributes.
var otlpAttributes = []string{"seq", "type", "request_id", "decision_id", "tenant", "status"}

// Write implements Sink.
func (s *OTLPSink) Write(lines []byte) error {
	ctx := context.Background()
	for len(lines) > 0 {
		i := bytes.IndexByte(lines, '\n')
		if i < 0 {
			return errors.New("audit: record without newline")
		}
		line := lines[:i]
		lines = lines[i+1:]
		var r otellog.Record
		r.SetEventName("sluice.audit")
		r.SetSeverity(otellog.SeverityInfo)
		r.SetBody(attribute.StringValue(string(line)))
		if t, err := time.Parse(time.RFC3339Nano, gjson.GetBytes(line, "time").Str); err == nil {
			r.SetTimestamp(t)
		}
		for i, v := range gjson.GetManyBytes(line, otlpAttributes...) {
			switch v.Type {
			case gjson.Number:
				r.AddAttributes(attribute.Int64("sluice.audit."+otlpAttributes[i], v.Int()))
			case gjson.String:
				r.AddAttributes(attribute.String("sluice.audit."+otlpAttributes[i], v.Str))
			default:
			}
		}
		s.logger.Emit(ctx, r)
	}
	return nil
}

// Close implements Sink: it exports what the batch processor holds.
func (s *OTLPSink) Close(ctx context.Context) error {
	if err := s.provider.Shutdown(ctx); err != nil {
		return fmt.Errorf("audit: otlp: %w", err)
	}
	return nil
}
