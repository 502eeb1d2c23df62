package config

import (
	"path/filepath"
	"time"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
)

// AuditLevel is how much an audit record says about a request.
type AuditLevel string

// The audit levels, from least to most detail; docs/audit.md says what
// each records.
const (
	AuditMinimal  AuditLevel = "minimal"
	AuditStandard AuditLevel = "standard"
	AuditFull     AuditLevel = "full"
)

// ValidAuditLevel reports whether s names an audit level.
func ValidAuditLevel(s string) bool {
	switch AuditLevel(s) {
	case AuditMinimal, AuditStandard, AuditFull:
		return true
	}
	return false
}

// Defaults of the audit settings.
const (
	DefaultAuditQueueRecords   = 4096
	DefaultAuditQueueBytes     = 16 << 20
	DefaultAuditFlushTimeout   = 5 * time.Second
	DefaultAuditFileMaxBytes   = 100 << 20
	DefaultAuditPayloadMax     = 16 << 10
	DefaultAuditOTLPProtocol   = "grpc"
	auditMiB                   = 1 << 20
	maxAuditQueueRecords       = 1 << 20
	maxAuditQueueBytes         = 1 << 30
	maxAuditPayloadBytes       = 1 << 20
	maxAuditFileBytes          = 1 << 40
	auditOTLPProtocolHTTPProto = "http/protobuf"
)

// Audit is the audit trail's settings; nil on the Snapshot when off.
type Audit struct {
	DefaultLevel AuditLevel
	Stdout       bool
	// File is nil when no file is written.
	File *AuditFile
	// OTLP is nil when records are not exported.
	OTLP         *AuditOTLP
	QueueRecords int
	QueueBytes   int64
	// HMACKeyEnv names the variable holding the chain's HMAC key; HMACKey
	// is its value once secrets are resolved. The key is a secret: never
	// log it.
	HMACKeyEnv   string
	HMACKey      string
	FlushTimeout time.Duration
	// Payload is nil when payloads are never captured.
	Payload *AuditPayload
}

// AuditFile is the rotating audit file.
type AuditFile struct {
	Path        string
	MaxBytes    int64
	RotateEvery time.Duration // 0: rotate on size only
	MaxAge      time.Duration // 0: keep rotated files
	MaxBackups  int           // 0: keep rotated files
	Compress    bool
}

// AuditOTLP is the OTLP logs export of audit records.
type AuditOTLP struct {
	Endpoint string
	Protocol string // grpc or http/protobuf
	Insecure bool
	Headers  map[string]string
}

// AuditPayload is masked payload capture.
type AuditPayload struct {
	MaxBytes int64
}

func validateAudit(a *configv1.Audit, p *problems) {
	if a == nil {
		return
	}
	if l := a.GetDefaultLevel(); l != "" && !ValidAuditLevel(l) {
		p.add("audit.default_level", "want %s, %s or %s, got %q", AuditMinimal, AuditStandard, AuditFull, l)
	}
	if !a.GetStdout() && a.GetFile() == nil && a.GetOtlp() == nil {
		p.add("audit", "needs at least one sink: stdout, file or otlp")
	}
	checkRange(a.QueueRecords, 1, maxAuditQueueRecords, "audit.queue_records", p)
	checkRange(a.QueueBytes, 64<<10, maxAuditQueueBytes, "audit.queue_bytes", p)
	checkEnvName(a.GetHmacKeyEnv(), "audit.hmac_key_env", p)
	checkPositive(a.GetFlushTimeout(), "audit.flush_timeout", p)
	validateAuditFile(a.GetFile(), p)
	validateAuditOTLP(a.GetOtlp(), p)
	if pl := a.GetPayload(); pl != nil {
		checkRange(pl.MaxBytes, 1, maxAuditPayloadBytes, "audit.payload.max_bytes", p)
	}
}

func validateAuditFile(f *configv1.AuditFile, p *problems) {
	if f == nil {
		return
	}
	switch path := f.GetPath(); {
	case path == "":
		p.add("audit.file.path", "is required")
	case filepath.Base(path) == "." || path[len(path)-1] == '/':
		p.add("audit.file.path", "must name a file, got %q", path)
	}
	if f.MaxBytes != nil {
		if n := *f.MaxBytes; n < auditMiB || n > maxAuditFileBytes || n%auditMiB != 0 {
			p.add("audit.file.max_bytes", "want a whole number of MiB from 1MiB, got %d", n)
		}
	}
	checkPositive(f.GetRotateEvery(), "audit.file.rotate_every", p)
	checkPositive(f.GetMaxAge(), "audit.file.max_age", p)
	if f.GetMaxBackups() < 0 {
		p.add("audit.file.max_backups", "must not be negative, got %d", f.GetMaxBackups())
	}
}

func validateAuditOTLP(o *configv1.AuditOtlp, p *problems) {
	if o == nil {
		return
	}
	if o.GetEndpoint() == "" {
		p.add("audit.otlp.endpoint", "is required")
	}
	if pr := o.GetProtocol(); pr != "" && pr != DefaultAuditOTLPProtocol && pr != auditOTLPProtocolHTTPProto {
		p.add("audit.otlp.protocol", "want %s or %s, got %q", DefaultAuditOTLPProtocol, auditOTLPProtocolHTTPProto, pr)
	}
}

// checkRange checks an optional integer setting.
func checkRange(v *int64, lo, hi int64, path string, p *problems) {
	if v != nil && (*v < lo || *v > hi) {
		p.add(path, "want %d to %d, got %d", lo, hi, *v)
	}
}

func buildAudit(a *configv1.Audit) *Audit {
	if a == nil {
		return nil
	}
	out := &Audit{
		DefaultLevel: AuditLevel(orDefault(a.GetDefaultLevel(), string(AuditStandard))),
		Stdout:       a.GetStdout(),
		QueueRecords: DefaultAuditQueueRecords,
		QueueBytes:   DefaultAuditQueueBytes,
		HMACKeyEnv:   a.GetHmacKeyEnv(),
		FlushTimeout: DefaultAuditFlushTimeout,
	}
	if a.QueueRecords != nil {
		out.QueueRecords = int(*a.QueueRecords)
	}
	if a.QueueBytes != nil {
		out.QueueBytes = *a.QueueBytes
	}
	if t := a.GetFlushTimeout(); t != nil {
		out.FlushTimeout = t.AsDuration()
	}
	if f := a.GetFile(); f != nil {
		out.File = &AuditFile{
			Path:        f.GetPath(),
			MaxBytes:    DefaultAuditFileMaxBytes,
			RotateEvery: f.GetRotateEvery().AsDuration(),
			MaxAge:      f.GetMaxAge().AsDuration(),
			MaxBackups:  int(f.GetMaxBackups()),
			Compress:    f.GetCompress(),
		}
		if f.MaxBytes != nil {
			out.File.MaxBytes = *f.MaxBytes
		}
	}
	if o := a.GetOtlp(); o != nil {
		out.OTLP = &AuditOTLP{
			Endpoint: o.GetEndpoint(),
			Protocol: orDefault(o.GetProtocol(), DefaultAuditOTLPProtocol),
			Insecure: o.GetInsecure(),
			Headers:  o.GetHeaders(),
		}
	}
	if pl := a.GetPayload(); pl.GetEnabled() {
		out.Payload = &AuditPayload{MaxBytes: DefaultAuditPayloadMax}
		if pl.MaxBytes != nil {
			out.Payload.MaxBytes = *pl.MaxBytes
		}
	}
	return out
}

// resolveAuditKey reads the chain's HMAC key. A key that cannot be read is
// a problem like any other secret; the audit writer then refuses to start
// rather than fall back to an unkeyed chain.
func resolveAuditKey(snap *Snapshot, s secrets, p *problems) []error {
	a := snap.Audit
	if a == nil || a.HMACKeyEnv == "" {
		return nil
	}
	v, reason := s.env(a.HMACKeyEnv)
	if reason != "" {
		const path = "audit.hmac_key_env"
		return []error{&Error{File: p.file, Line: p.line(path), Path: path, Msg: reason, Err: ErrCredential}}
	}
	a.HMACKey = v
	return nil
}
