//go:build race

package pii

// raceScale shrinks the exhaustive tests under the race detector, which
// runs them about ten times slower.
const raceScale = 4
