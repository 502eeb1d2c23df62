package pii

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
)

// prose is filler for benchmark prompts: ordinary text with numbers,
// punctuation and code-ish words, as prompts have.
var prose = []string{
	"Summarise the following meeting notes for the quarterly review, keeping the action items.",
	"The deployment on March 3rd went smoothly, although latency rose by 12% for about 20 minutes.",
	"Could you rewrite this paragraph so that it reads better and fits in 150 words?",
	"We agreed to revisit the pricing model once the new tier has been live for two months.",
	"In Python, use a context manager (the with statement) so the file is always closed.",
	"Der Bericht für das dritte Quartal ist fertig; bitte prüfen Sie die Zahlen bis Freitag.",
	"Le client souhaite une réponse rapide concernant la livraison prévue la semaine prochaine.",
	"Version 2.4.1 fixed the memory leak, see ticket #4821 and the notes in CHANGELOG.md.",
	"Translate the error message into Spanish and keep the placeholders like {name} unchanged.",
	"The function returns nil, err when the config is invalid; callers must check it first.",
}

// benchPrompt builds an 8 KB prompt of prose with an entity sentence from
// the corpus about every 300 bytes: a few entities per KB.
func benchPrompt(b *testing.B) []byte {
	corpus := loadCorpus(b)
	r := rand.New(rand.NewPCG(1, 2))
	var sb strings.Builder
	for sb.Len() < 8<<10 {
		for sb.Len()%300 < 240 && sb.Len() < 8<<10 {
			sb.WriteString(prose[r.IntN(len(prose))])
			sb.WriteByte(' ')
		}
		sb.WriteString(corpus[r.IntN(len(corpus))].Text)
		sb.WriteString("\n")
	}
	return []byte(sb.String()[:8<<10])
}

func BenchmarkScan(b *testing.B) {
	s := mustNew(b, Config{})
	text := benchPrompt(b)
	dst := make([]Finding, 0, 64)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for b.Loop() {
		dst = s.Scan(dst[:0], text)
	}
	reportCPU(b, start, len(text))
	b.ReportMetric(float64(len(dst))/8, "findings/KB")
}

// reportCPU adds throughput per CPU-second of the process.
func reportCPU(b *testing.B, start time.Duration, size int) {
	if used := cpuTime() - start; used > 0 {
		b.ReportMetric(float64(size)*float64(b.N)/used.Seconds()/1e6, "MB/cpu-s")
	}
}

func BenchmarkHold(b *testing.B) {
	s := mustNew(b, Config{})
	text := benchPrompt(b)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		for k := 256; k <= len(text); k += 256 {
			s.Hold(text[k-256 : k])
		}
	}
}

// baselineRE is what a scanner built from one Go regexp alternation of the
// same patterns looks like; the benchmark shows what the single pass saves.
var baselineRE = regexp.MustCompile(strings.Join([]string{
	`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`,
	`(?:\+\d{1,3}[ .\-]?)?(?:\(\d{1,4}\)[ .\-]?)?\d{2,5}[ .\-/]\d{2,5}(?:[ .\-]\d{2,5}){0,3}`,
	`\b(?:\d[ \-]?){13,19}\b`,
	`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b`,
	`\b\d{3}[\- ]\d{2}[\- ]\d{4}\b`,
	`\b(?:\d{1,3}\.){3}\d{1,3}\b`,
	`(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{1,4})*`,
	`\b(?:[0-9A-Fa-f]{2}[:\-]){5}[0-9A-Fa-f]{2}\b`,
	`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`,
	`\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_\w{40,}`,
	`\bglpat-[\w\-]{20,}`,
	`\bxox[abprse]-[\w\-]{10,}`,
	`https://hooks\.slack\.com/services/[A-Za-z0-9/]+`,
	`\bsk-(?:proj-|ant-|sluice-)?[\w\-]{20,}`,
	`\bAIza[\w\-]{35}`,
	`\beyJ[\w\-]+\.[\w\-]+\.[\w\-]+`,
	`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----`,
	`(?i)(?:password|passwd|secret|token|api_?key)["']?\s*[:=]\s*["']?[^\s"',;]{8,}`,
}, "|"))

func BenchmarkRegexpBaseline(b *testing.B) {
	text := benchPrompt(b)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for b.Loop() {
		baselineRE.FindAllIndex(text, -1)
	}
	reportCPU(b, start, len(text))
}

// TestSpeedupOverRegexp holds the single pass to at least 30 times the
// throughput of the regexp baseline, comparing CPU time so that load from
// other processes cancels out.
func TestSpeedupOverRegexp(t *testing.T) {
	if testing.Short() || raceScale > 1 {
		t.Skip("timing comparison; skipped in -short and under -race")
	}
	s := mustNew(t, Config{})
	var text []byte
	perOp := func(f func()) float64 {
		start := cpuTime()
		r := testing.Benchmark(func(b *testing.B) {
			for b.Loop() {
				f()
			}
		})
		return float64(cpuTime()-start) / float64(r.N)
	}
	testing.Benchmark(func(b *testing.B) { text = benchPrompt(b) })
	var dst []Finding
	scan := perOp(func() { dst = s.Scan(dst[:0], text) })
	re := perOp(func() { baselineRE.FindAllIndex(text, -1) })
	if scan <= 0 || re <= 0 {
		t.Skip("no CPU time accounting on this platform")
	}
	t.Logf("scan %.0f ns/op, regexp %.0f ns/op: %.0fx", scan, re, re/scan)
	if re/scan < 30 {
		t.Errorf("Scan is %.1fx faster than the regexp baseline, want >= 30x", re/scan)
	}
}
