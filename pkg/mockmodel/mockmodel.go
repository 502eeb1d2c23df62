// Package mockmodel is Sluice's built-in model server. `sluice dev` and
// `make run` point a backend at it so the whole gateway works offline: it
// speaks the OpenAI API (chat completions, streamed or not, embeddings and
// the model list) and answers deterministically, so a developer sees the same
// reply for the same request every time.
//
// It reads request bodies with gjson and writes responses with direct
// appends; it never unmarshals a whole body.
package mockmodel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/sluice-gw/sluice/pkg/gwerror"
)

// maxBodyBytes bounds a request body; larger bodies get a 413.
const maxBodyBytes = 8 << 20

// New returns the mock server's handler. Paths are accepted with or without
// the /v1 prefix, so a backend configured with either base path works.
func New() http.Handler { return http.HandlerFunc(serve) }

// Serve answers on ln until ctx is cancelled, then shuts down gracefully.
// Cancelling ctx also ends streams in flight. It returns nil after a clean
// shutdown.
func Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           New(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("mockmodel: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("mockmodel: shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("mockmodel: %w", err)
	}
	return nil
}

// ListenAndServe listens on addr (for example "127.0.0.1:8090") and serves
// until ctx is cancelled.
func ListenAndServe(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("mockmodel: %w", err)
	}
	return Serve(ctx, ln)
}

func serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	path = strings.TrimPrefix(path, "/v1")
	switch path {
	case "/chat/completions":
		if body, ok := readBody(w, r); ok {
			chat(w, r, body)
		}
	case "/embeddings":
		if body, ok := readBody(w, r); ok {
			embeddings(w, body)
		}
	case "/models":
		if r.Method != http.MethodGet {
			writeError(w, gwerror.New(gwerror.MethodNotAllowed, "use GET for %s", r.URL.Path))
			return
		}
		models(w)
	default:
		if name, ok := strings.CutPrefix(path, "/models/"); ok && r.Method == http.MethodGet {
			model(w, name)
			return
		}
		writeError(w, gwerror.New(gwerror.NotFound, "unknown path %s", r.URL.Path))
	}
}

// readBody enforces POST, a JSON content type when one is given, and the
// size limit. On failure it has already written the error.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Method != http.MethodPost {
		writeError(w, gwerror.New(gwerror.MethodNotAllowed, "use POST for %s", r.URL.Path))
		return nil, false
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeError(w, gwerror.New(gwerror.InvalidRequest, "content-type must be application/json, got %q", ct))
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, gwerror.New(gwerror.BodyTooLarge, "request body exceeds %d bytes", maxBodyBytes))
		} else {
			writeError(w, gwerror.Wrap(gwerror.InvalidRequest, err, "could not read request body"))
		}
		return nil, false
	}
	return body, true
}

func writeError(w http.ResponseWriter, e *gwerror.Error) {
	writeJSON(w, e.HTTPStatus(), e.Body())
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// A failed write means the client went away; there is no one to tell.
	_, _ = w.Write(body) //nolint:gosec // a JSON body, served as application/json
}
