package bench_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netreach/netreach/internal/bench"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// large enables the 50,000- and 150,000-pod benchmarks. They are skipped
// by default so that a plain `go test -bench .` finishes in a few minutes:
// setting up the 150,000-pod cluster alone (generate, write 200 MB of
// YAML, load it) takes most of a minute and several GB of memory.
//
//	go test ./internal/bench -run '^$' -bench Compute -bench.large
var large = flag.Bool("bench.large", false, "also run the 50,000- and 150,000-pod benchmarks")

// size is one rung of the benchmark ladder.
type size struct {
	pods, namespaces, policies int
	large                      bool // needs -bench.large
}

// computeSizes are the realistic clusters of the README's performance
// section, up to the Kubernetes limit of 150,000 pods.
var computeSizes = []size{
	{1000, 50, 300, false},
	{10000, 300, 2000, false},
	{50000, 1000, 8000, true},
	{150000, 3000, 20000, true},
}

// distinctSizes are worst cases: no two pods share a class.
var distinctSizes = []size{
	{1000, 50, 300, false},
	{5000, 150, 1000, false},
	{10000, 300, 2000, true},
	{50000, 1000, 8000, true},
	{150000, 3000, 20000, true},
}

// config returns the Config of the size: realistic, or the worst case
// when distinct is set.
func (s size) config(distinct bool) bench.Config {
	return bench.Config{Pods: s.pods, Namespaces: s.namespaces, Policies: s.policies, Distinct: distinct, Seed: 1}
}

func BenchmarkCompute(b *testing.B) {
	for _, s := range computeSizes {
		b.Run(fmt.Sprintf("pods=%d", s.pods), func(b *testing.B) {
			if s.large && !*large {
				b.Skip("skipped without -bench.large")
			}
			benchCompute(b, s.config(false))
		})
	}
}

func BenchmarkComputeDistinct(b *testing.B) {
	for _, s := range distinctSizes {
		b.Run(fmt.Sprintf("pods=%d", s.pods), func(b *testing.B) {
			if s.large && !*large {
				b.Skip("skipped without -bench.large")
			}
			benchCompute(b, s.config(true))
		})
	}
}

// BenchmarkComputeCalico is BenchmarkCompute with the Calico layer on
// top (Calico mode: tiers, GlobalNetworkPolicies, the Kubernetes policies
// in the default tier).
func BenchmarkComputeCalico(b *testing.B) {
	for _, s := range computeSizes {
		b.Run(fmt.Sprintf("pods=%d", s.pods), func(b *testing.B) {
			if s.large && !*large {
				b.Skip("skipped without -bench.large")
			}
			cfg := s.config(false)
			cfg.Calico = true
			benchCompute(b, cfg)
		})
	}
}

// BenchmarkComputeMesh is BenchmarkCompute with Istio security objects
// (the mesh layer on) for the namespaces with sidecar injection.
func BenchmarkComputeMesh(b *testing.B) {
	for _, s := range computeSizes {
		b.Run(fmt.Sprintf("pods=%d", s.pods), func(b *testing.B) {
			if s.large && !*large {
				b.Skip("skipped without -bench.large")
			}
			cfg := s.config(false)
			cfg.Mesh = true
			benchCompute(b, cfg)
		})
	}
}

// benchCompute times reachability.Compute alone, on a snapshot loaded
// before the timed loop. Besides ns/op, B/op and allocs/op it reports:
//
//	classes, port-atoms, ext-atoms  sizes from Matrix.Stats
//	heap-MB    HeapAlloc right after the last Compute (result live, garbage not yet collected)
//	peak-MB    largest heap (objects, live or not yet swept) seen while Compute ran, sampled every 2ms
//	sys-MB     memory held from the OS after the last Compute (Sys - HeapReleased)
//	result-MB  heap retained by the Matrix after a GC
//
// heap-MB, peak-MB and sys-MB include the loaded snapshot (the input).
// When the heap passes -bench.maxheap, Compute is cancelled and the
// benchmark skipped, rather than letting the machine run out of memory.
func benchCompute(b *testing.B, cfg bench.Config) {
	snap := snapshot(b, cfg)
	runtime.GC()
	debug.FreeOSMemory() // return the setup's garbage, so sys-MB is about Compute
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	limit := heapLimit()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	stop := watchHeap(limit, cancel)
	defer stop()
	b.ReportAllocs()
	var m *reachability.Matrix
	for b.Loop() {
		var err error
		if m, err = reachability.Compute(ctx, snap, reachability.Options{}); err != nil {
			if errors.Is(context.Cause(ctx), errHeapLimit) {
				peak := stop()
				b.Skipf("Compute cancelled after %v: its heap reached %.0f MB, past the budget of %.0f MB (-bench.maxheap)", b.Elapsed().Round(time.Millisecond), mb(peak), mb(limit))
			}
			b.Fatal(err)
		}
	}
	peak := stop()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	st := m.Stats()
	b.ReportMetric(float64(st.Classes), "classes")
	b.ReportMetric(float64(st.PortAtoms), "port-atoms")
	b.ReportMetric(float64(st.ExternalAtoms), "ext-atoms")
	b.ReportMetric(mb(after.HeapAlloc), "heap-MB")
	b.ReportMetric(mb(peak), "peak-MB")
	b.ReportMetric(mb(after.Sys-after.HeapReleased), "sys-MB")
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(mb(after.HeapAlloc)-mb(before.HeapAlloc), "result-MB")
	runtime.KeepAlive(m)
}

func mb(n uint64) float64 { return float64(n) / (1 << 20) }

var maxHeap = flag.Int("bench.maxheap", 0, "cancel a Compute benchmark whose heap passes this many MB (0: 3/4 of MemAvailable)")

// errHeapLimit is the cancellation cause when Compute outgrows the budget.
var errHeapLimit = errors.New("heap limit reached")

// heapLimit returns the heap budget of a Compute benchmark in bytes.
// Compute checks its context between port atoms, so the heap overshoots
// the budget by at most the matrices of one atom.
func heapLimit() uint64 {
	if *maxHeap > 0 {
		return uint64(*maxHeap) << 20
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, ln := range strings.Split(string(data), "\n") {
			if f := strings.Fields(ln); len(f) >= 2 && f[0] == "MemAvailable:" {
				if kb, err := strconv.ParseUint(f[1], 10, 64); err == nil {
					return kb << 10 / 4 * 3
				}
			}
		}
	}
	return 8 << 30
}

// watchHeap polls the heap size every 2ms (runtime/metrics does not stop
// the world) and cancels with errHeapLimit when it passes limit, until
// the returned function is called; that returns the largest value seen.
func watchHeap(limit uint64, cancel context.CancelCauseFunc) (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() {
		metrics.Read(sample)
		v := sample[0].Value.Uint64()
		if v > peak.Load() {
			peak.Store(v)
		}
		if v > limit {
			cancel(errHeapLimit)
		}
	}
	wg.Go(func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				read()
			}
		}
	})
	var once sync.Once
	return func() uint64 {
		once.Do(func() {
			close(done)
			wg.Wait()
			read()
		})
		return peak.Load()
	}
}

// The last snapshot built, kept across the runs of a benchmark (-count)
// but not across sizes, so that memory is not held twice.
var cache struct {
	cfg  bench.Config
	snap *policy.Snapshot
}

// snapshot generates the cluster of cfg, writes it as YAML and loads it,
// as netreach would read it from disk.
func snapshot(tb testing.TB, cfg bench.Config) *policy.Snapshot {
	tb.Helper()
	if cache.snap != nil && cache.cfg == cfg {
		return cache.snap
	}
	cache.snap = nil
	runtime.GC()
	data := clusterYAML(tb, cfg)
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes("cluster.yaml", data)
	snap, err := l.Snapshot()
	if err != nil {
		tb.Fatalf("loading the generated cluster %+v: %v", cfg, err)
	}
	cache.cfg, cache.snap = cfg, snap
	return snap
}

func clusterYAML(tb testing.TB, cfg bench.Config) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := bench.Generate(cfg).WriteYAML(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkLoad times reading manifests into a snapshot: YAML decoding,
// strict typed decoding, validation, workload resolution and indexing.
func BenchmarkLoad(b *testing.B) {
	s := size{10000, 300, 2000, false}
	b.Run(fmt.Sprintf("pods=%d", s.pods), func(b *testing.B) {
		data := clusterYAML(b, s.config(false))
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			l := policy.NewLoader(policy.LoadOptions{})
			l.AddBytes("cluster.yaml", data)
			if _, err := l.Snapshot(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGenerate times building a cluster and writing it as YAML.
func BenchmarkGenerate(b *testing.B) {
	s := size{10000, 300, 2000, false}
	b.Run(fmt.Sprintf("pods=%d", s.pods), func(b *testing.B) {
		b.ReportAllocs()
		var w countingWriter
		for b.Loop() {
			w = 0
			if err := bench.Generate(s.config(false)).WriteYAML(&w); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(w))
	})
}

// countingWriter discards what it is given and counts the bytes.
type countingWriter int64

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}
