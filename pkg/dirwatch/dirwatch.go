// Package dirwatch turns the events of an fsnotify watcher into settled
// callbacks: a burst of changes produces one call, after the burst ends.
package dirwatch

import (
	"context"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Debounce lets a burst of events (an editor's write-then-rename, a
// ConfigMap's symlink swap, a `git checkout`) settle into one call.
const Debounce = 100 * time.Millisecond

// Run calls settled once Debounce passes without a new event on w, and
// passes the watcher's errors to onError, until ctx is done or w is closed.
// Chmod events are ignored: a touch or a permission change does not alter
// what a reload would read. Run blocks; settled and onError are called on
// its goroutine, never concurrently.
func Run(ctx context.Context, w *fsnotify.Watcher, settled func(), onError func(error)) {
	timer := time.NewTimer(Debounce)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if ev.Op != fsnotify.Chmod {
				timer.Reset(Debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			onError(err)
		case <-timer.C:
			settled()
		}
	}
}
