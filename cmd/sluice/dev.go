package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"

	"golang.org/x/sync/errgroup"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/envoystandin"
	"github.com/sluice-gw/sluice/pkg/mockmodel"
	"github.com/sluice-gw/sluice/pkg/server"
)

// runDev starts everything a laptop needs: Sluice itself, the Envoy
// stand-in reading envoy/envoy.yaml, and the built-in mock model that the
// `mock` backend points at. It is for development, never production.
func runDev(args []string) int {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	path := fs.String("config", "examples/sluice.yaml", "path to the Sluice config file")
	envoyPath := fs.String("envoy", "envoy/envoy.yaml", "Envoy bootstrap the stand-in serves")
	listen := fs.String("listen", "127.0.0.1:8080", "address the stand-in listens on")
	mockAddr := fs.String("mock", "127.0.0.1:8070", "address of the built-in mock model (the `mock` cluster)")
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
	envoyCfg, err := envoystandin.Load(*envoyPath)
	if err != nil {
		log.Error("invalid Envoy config", "path", *envoyPath, "err", err)
		return 1
	}
	srv, err := server.Build(snap, *path, log)
	if err != nil {
		log.Error("starting", "err", err)
		return 1
	}
	proxy, err := envoystandin.New(envoyCfg, envoystandin.Options{
		ClusterOverrides: map[string]string{"mock": *mockAddr, "sluice_ext_proc": snap.Server.GRPCAddress},
		Logger:           log,
	})
	if err != nil {
		log.Error("starting the Envoy stand-in", "err", err)
		return 1
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Error("stand-in listener", "err", err)
		return 1
	}
	ctx, cancel := signalContext()
	defer cancel()
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return mockmodel.ListenAndServe(ctx, *mockAddr) })
	g.Go(func() error { return srv.Run(ctx) })
	g.Go(func() error { return proxy.Serve(ctx, ln) })
	fmt.Printf("\nSluice is up. Try:\n  curl http://%s/v1/chat/completions -d '{\"model\":\"mock-gpt\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'\n\n", *listen)
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("stopped", "err", err)
		return 1
	}
	return 0
}
