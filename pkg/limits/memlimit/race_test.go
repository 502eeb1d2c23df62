//go:build race

package memlimit_test

const raceEnabled = true
