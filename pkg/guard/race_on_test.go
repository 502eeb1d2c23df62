//go:build race

package guard

// raceEnabled thins the exhaustive split tests under the race detector,
// which makes each run many times slower; the full sweep runs without it.
const raceEnabled = true
