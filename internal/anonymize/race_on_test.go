//go:build race

package anonymize

// raceEnabled: the race detector slows streaming about tenfold.
const raceEnabled = true
