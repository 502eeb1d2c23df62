package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sluice-gw/sluice/pkg/audit"
)

func runAudit(args []string) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(os.Stderr, "usage: sluice audit verify [-partial] [-head DIGEST] [-hmac-key-env NAME] FILE|DIR...")
		return 2
	}
	return auditVerify(args[1:], os.Stdout, os.Stderr)
}

// auditVerify checks an audit trail's chain. Files are taken in the order
// given; a directory stands for its files in chain order.
func auditVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	partial := fs.Bool("partial", false, "accept a trail whose oldest files were deleted: start from its first record")
	head := fs.String("head", "", "the digest the last record must have, as an earlier verify printed it")
	keyEnv := fs.String("hmac-key-env", "", "environment variable holding the HMAC key of a keyed chain")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "audit verify: name at least one file or directory")
		return 2
	}
	opts := audit.VerifyOptions{Partial: *partial, Head: *head}
	if *keyEnv != "" {
		key := os.Getenv(*keyEnv)
		if key == "" {
			fmt.Fprintf(stderr, "audit verify: %s is not set\n", *keyEnv)
			return 2
		}
		opts.HMACKey = []byte(key)
	}
	rep, err := audit.VerifyPaths(fs.Args(), opts)
	if err != nil {
		var broken *audit.BrokenError
		if errors.As(err, &broken) {
			fmt.Fprintf(stderr, "audit verify: chain broken at %v\n", broken)
		} else {
			fmt.Fprintf(stderr, "audit verify: %v\n", err)
		}
		return 1
	}
	fmt.Fprintf(stdout, "ok: %d files, %d records (%d requests, %d segments, %d gaps with %d dropped), seq %d..%d\n",
		rep.Files, rep.Lines, rep.Requests, rep.Segments, rep.Gaps, rep.Dropped, rep.FirstSeq, rep.LastSeq)
	fmt.Fprintf(stdout, "head: %s\n", rep.Head)
	if rep.Partial {
		fmt.Fprintln(stdout, "note: the trail does not start at its genesis; its first record was taken on trust")
	}
	if !rep.Ended {
		fmt.Fprintln(stdout, "note: the last record is not an end record: Sluice is still writing, stopped uncleanly, or the tail was cut (check with -head)")
	}
	return 0
}
