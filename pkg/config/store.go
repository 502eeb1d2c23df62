package config

import "sync/atomic"

// Store holds the current Snapshot. Readers call Load on every request and
// keep the snapshot they got for the request's lifetime; a reload swaps in
// a new one without locks, and in-flight requests finish on the old one.
// The zero Store is ready to use and holds nil.
type Store struct {
	current atomic.Pointer[Snapshot]
}

// NewStore returns a Store holding s.
func NewStore(s *Snapshot) *Store {
	st := &Store{}
	st.current.Store(s)
	return st
}

// Load returns the current snapshot.
func (st *Store) Load() *Snapshot { return st.current.Load() }

// Swap installs next and returns the snapshot it replaced.
func (st *Store) Swap(next *Snapshot) *Snapshot { return st.current.Swap(next) }
