package graph

import (
	"runtime"
	"sync"
)

// parallel splits [0, n) into at most GOMAXPROCS contiguous chunks of at
// least grain items and calls fn once per chunk, each on its own
// goroutine, then waits for all of them. With one chunk, fn runs on the
// calling goroutine. Each call of fn must write only data that belongs to
// its chunk.
func parallel(n, grain int, fn func(lo, hi int)) {
	parallelN(runtime.GOMAXPROCS(0), n, grain, fn)
}

// parallelN is parallel with an explicit worker limit.
func parallelN(workers, n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	workers = max(1, min(workers, n/max(grain, 1)))
	if workers == 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Go(func() { fn(lo, hi) })
	}
	wg.Wait()
}
