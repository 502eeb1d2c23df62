//go:build race

package policy

// raceEnabled is set when the race detector, which slows evaluation
// several times over, is on.
const raceEnabled = true
