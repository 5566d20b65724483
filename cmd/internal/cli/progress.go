package cli

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress draws a progress bar on stderr for the phases of a long
// command (loading, computing, writing): only when stderr is a terminal
// and a phase lasts more than a second, or always with --progress. The
// library reports progress through plain callbacks (see [progress.phase]);
// the bar is drawn from a ticker, so the callbacks stay cheap.
type progress struct {
	w       io.Writer
	enabled bool // --progress, or stderr is a terminal
	forced  bool

	mu    sync.Mutex
	name  string
	start time.Time
	bar   *progressbar.ProgressBar
	done  atomic.Int64
	total atomic.Int64
	stop  chan struct{}
	wg    sync.WaitGroup
}

// progressDelay is how long a phase runs before its bar appears.
const progressDelay = time.Second

// newProgress returns the progress of a command; forced is --progress.
func newProgress(stderr io.Writer, forced bool) *progress {
	return &progress{w: stderr, forced: forced, enabled: forced || isTerminal(stderr)}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// phase starts a phase (ending the previous one) and returns the callback
// that reports its progress; total <= 0 means unknown (a spinner). The
// callback is safe for concurrent use.
func (p *progress) phase(name string, total int) func(done, total int) {
	p.end()
	if !p.enabled {
		return func(int, int) {}
	}
	p.mu.Lock()
	p.name, p.start = name, time.Now()
	p.done.Store(0)
	p.total.Store(int64(total))
	p.stop = make(chan struct{})
	stop := p.stop
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
	return func(done, total int) {
		p.done.Store(int64(done))
		if total > 0 {
			p.total.Store(int64(total))
		}
	}
}

// draw updates the bar, creating it once the phase is old enough.
func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil {
		if !p.forced && time.Since(p.start) < progressDelay {
			return
		}
		total := p.total.Load()
		opts := []progressbar.Option{
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(p.name),
			progressbar.OptionSetWidth(30),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100 * time.Millisecond),
		}
		if total <= 0 {
			total = -1 // a spinner
		} else {
			opts = append(opts, progressbar.OptionShowCount())
		}
		p.bar = progressbar.NewOptions64(total, opts...)
	}
	if t := p.total.Load(); t > 0 {
		p.bar.ChangeMax64(t)
		p.bar.Set64(min(p.done.Load(), t))
		return
	}
	p.bar.Add64(1) // spinner
}

// end finishes the current phase and clears its bar.
func (p *progress) end() {
	p.mu.Lock()
	stop := p.stop
	p.stop = nil
	p.mu.Unlock()
	if stop == nil {
		return
	}
	close(stop)
	p.wg.Wait()
	p.mu.Lock()
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
	p.mu.Unlock()
}
