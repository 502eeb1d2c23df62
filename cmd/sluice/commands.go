package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/server"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type command struct {
	summary string
	run     func(args []string) int
}

var commandOrder = []string{"serve", "dev", "validate", "keys", "scan", "health", "audit", "version"}

var commands = map[string]command{
	"serve":    {"run the ext_proc gRPC server and the admin HTTP server", runServe},
	"dev":      {"run Sluice, the Envoy stand-in and the mock model locally", runDev},
	"validate": {"check a config file offline", runValidate},
	"keys":     {"create API keys and print the hashes config holds", runKeys},
	"scan":     {"run the PII, secret and prompt-injection detectors over JSON Lines on stdin", runScan},
	"audit":    {"verify the hash chain of audit files", runAudit},
	"health":   {"check a running server's gRPC health (for probes and HEALTHCHECK)", runHealth},
	"version":  {"print the version", func([]string) int { fmt.Println("sluice", version); return 0 }},
}

func logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// signalContext is cancelled on SIGINT or SIGTERM, which starts draining.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func runServe(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	path := fs.String("config", "sluice.yaml", "path to the Sluice config file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := logger()
	snap, err := config.Load(*path, config.LoadOptions{ResolveSecrets: true})
	if err != nil {
		log.Error("invalid config", "path", *path, "err", err)
		return 1
	}
	for _, w := range snap.Warnings {
		log.Warn("config warning", "warning", w)
	}
	srv, err := server.Build(snap, *path, log)
	if err != nil {
		log.Error("starting", "err", err)
		return 1
	}
	ctx, cancel := signalContext()
	defer cancel()
	if err := srv.Run(ctx); err != nil {
		log.Error("server stopped", "err", err)
		return 1
	}
	return 0
}

func runValidate(args []string) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	path := fs.String("config", "sluice.yaml", "path to the Sluice config file")
	strict := fs.Bool("strict", false, "treat unresolvable credentials as errors")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		*path = fs.Arg(0)
	}
	warnings, err := config.Validate(*path, *strict)
	for _, w := range warnings {
		fmt.Fprintln(os.Stderr, "warning:", w)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("%s: ok\n", *path)
	return 0
}
