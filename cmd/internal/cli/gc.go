package cli

import (
	"os"
	"runtime/debug"
)

// loadingGCPercent is the garbage collector's target (GOGC) while
// manifests are read. Reading allocates several times what it keeps (the
// text of every document, the objects it is decoded into) while the heap
// it keeps is still small, so with Go's default of 100 the collector runs
// over and over and takes a fifth of the CPU time of the whole run. A
// higher target lets the heap grow to a few times the snapshot before
// collecting; the computation that follows, whose heap is mostly what it
// keeps, runs with the default again, so the peak memory hardly moves.
const loadingGCPercent = 400

// loadingGC raises the GC target for reading manifests, unless GOGC is set
// in the environment, and returns the function that restores it.
func loadingGC() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(loadingGCPercent)
	return func() { debug.SetGCPercent(old) }
}
