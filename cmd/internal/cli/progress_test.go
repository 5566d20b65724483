package cli

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the progress bar's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestProgress checks when the progress bar is drawn: with --progress it
// is, whatever stderr is; without it, never on a stderr that is not a
// terminal (a pipe, a CI log, a buffer).
func TestProgress(t *testing.T) {
	var forced syncBuffer
	p := newProgress(&forced, true)
	report := p.phase("computing", 100)
	report(40, 100)
	time.Sleep(350 * time.Millisecond)
	p.end()
	if out := forced.String(); !strings.Contains(out, "computing") || !strings.Contains(out, "40/100") {
		t.Errorf("--progress drew %q, want the phase and its count", out)
	}

	var quiet syncBuffer
	p = newProgress(&quiet, false)
	report = p.phase("computing", 100)
	report(40, 100)
	time.Sleep(progressDelay + 300*time.Millisecond)
	p.end()
	if out := quiet.String(); out != "" {
		t.Errorf("without --progress and a terminal, the bar drew %q", out)
	}
}
