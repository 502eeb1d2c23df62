//go:build !race

package pii

const raceScale = 1
