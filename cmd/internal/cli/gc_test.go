package cli

import (
	"runtime/debug"
	"testing"
)

// TestLoadingGC checks that loading raises the GC target and restores it,
// and that GOGC in the environment wins.
func TestLoadingGC(t *testing.T) {
	t.Setenv("GOGC", "")
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	restore := loadingGC()
	if got := debug.SetGCPercent(loadingGCPercent); got != loadingGCPercent {
		t.Errorf("while loading, GOGC = %d, want %d", got, loadingGCPercent)
	}
	restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after loading, GOGC = %d, want 100", got)
	}
	t.Setenv("GOGC", "50")
	debug.SetGCPercent(50)
	loadingGC()()
	if got := debug.SetGCPercent(100); got != 50 {
		t.Errorf("with GOGC=50 set, GOGC = %d after loading, want 50", got)
	}
}
