package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/pii"
	"github.com/sluice-gw/sluice/pkg/presidio"
	"github.com/sluice-gw/sluice/pkg/scan"
)

const scanUsage = `usage: sluice scan [--config sluice.yaml] < input.jsonl

Reads JSON Lines {"text": "..."} on stdin and writes one JSON line per input
line, in order, with the PII and secret findings and the prompt-injection
score Sluice's data protection would see:

  {"findings":[{"type":"EMAIL_ADDRESS","start":10,"end":27,"score":0.99}],
   "injection":{"score":0.93,"verdict":"injection","signals":["override_phrase"]}}

start and end count Unicode code points into text, end exclusive. A line that
cannot be read gets {"error":"..."} and scanning goes on; blank lines are
skipped. With --config, the data_protection section chooses the detectors,
adds its custom ones and the Presidio analyzer, and sets the injection
threshold; without it, every built-in detector runs at the default threshold.

flags:
`

func runScan(args []string) int {
	return runScanIO(context.Background(), args, os.Stdin, os.Stdout, os.Stderr)
}

// runScanIO exits 0 however bad the input lines are: only a bad flag (2), a
// bad config or an I/O failure (1) is an error.
func runScanIO(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, scanUsage)
		fs.PrintDefaults()
	}
	path := fs.String("config", "", "a Sluice config file whose data_protection section to apply")
	maxLine := fs.Int("max-line-bytes", scan.DefaultMaxLineBytes, "the longest input line accepted")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	opts := scan.Options{MaxLineBytes: *maxLine}
	if *path != "" {
		snap, err := config.Load(*path, config.LoadOptions{})
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		if opts, err = scanOptions(snap.DataProtection, opts); err != nil {
			fmt.Fprintln(stderr, "sluice scan:", err)
			return 1
		}
	}
	s, err := scan.New(opts)
	if err != nil {
		fmt.Fprintln(stderr, "sluice scan:", err)
		return 1
	}
	if err := s.Run(ctx, stdin, stdout); err != nil {
		fmt.Fprintln(stderr, "sluice scan:", err)
		return 1
	}
	return 0
}

// scanOptions maps the data_protection section onto the scanner, as the
// gateway's protect stage does. No section: every built-in detector.
func scanOptions(d *config.DataProtection, opts scan.Options) (scan.Options, error) {
	if d == nil {
		return opts, nil
	}
	opts.PII.Types = d.Detectors
	for _, c := range d.Custom {
		opts.PII.Custom = append(opts.PII.Custom, pii.CustomDetector{
			Type: c.Type, Patterns: c.Patterns, Phrases: c.Phrases, CaseInsensitive: c.CaseInsensitive,
			Validator: c.Validator, ContextWords: c.ContextWords, Score: c.Score,
		})
	}
	if d.Injection == nil {
		opts.NoInjection = true
	} else {
		opts.Threshold = d.Injection.Threshold
	}
	if p := d.Presidio; p != nil {
		client, err := presidio.New(presidio.Config{
			Endpoint: p.URL, Language: p.Language, Entities: p.Entities, ScoreThreshold: p.ScoreThreshold,
			Timeout: p.Timeout, FailOpen: p.FailOpen,
		})
		if err != nil {
			return opts, err
		}
		opts.Presidio = client
	}
	return opts, nil
}
