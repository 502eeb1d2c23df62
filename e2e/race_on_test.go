//go:build race

package e2e

// raceEnabled builds the sluice binary with the race detector when the
// tests themselves run with it, so races in the gateway fail the suite too.
const raceEnabled = true
