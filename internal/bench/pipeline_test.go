package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/netreach/netreach/internal/bench"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// pipelineSizes are the clusters of BenchmarkPipeline: the README's
// load table.
var pipelineSizes = []size{
	{10000, 300, 2000, false},
	{50000, 1000, 8000, true},
	{150000, 3000, 20000, true},
}

// BenchmarkPipeline times, in one run and on the same files (the
// directory `netreach generate` writes), the whole of `netreach matrix -o
// summary` — loading, computing the matrix, counting the allowed pairs of
// every port atom — and a plain decode of the same files into generic
// values with go.yaml.in/yaml/v3 on all cores. Besides ns/op (both
// together) it reports:
//
//	netreach-s  the pipeline
//	load-s      the loading part of it
//	yaml-s      the plain yaml.v3 decode
//	ratio       netreach-s / yaml-s (the goal is at most 1)
//	cpu-ratio   the same for the CPU time (user and system) the process spent
//	            on each side: on a machine shared with other work, the
//	            steadier of the two
//	peak-MB     the largest heap seen during the pipeline
//
//	go test ./internal/bench -run '^$' -bench Pipeline -benchtime 3x
//	go test ./internal/bench -run '^$' -bench Pipeline/pods=50000 -bench.large -benchtime 3x
func BenchmarkPipeline(b *testing.B) {
	for _, s := range pipelineSizes {
		b.Run(fmt.Sprintf("pods=%d", s.pods), func(b *testing.B) {
			if s.large && !*large {
				b.Skip("skipped without -bench.large")
			}
			dir := b.TempDir()
			if err := bench.Generate(s.config(false)).WriteDir(dir); err != nil {
				b.Fatal(err)
			}
			files := manifestPaths(b, dir)
			var pipe, load, plain, pipeCPU, plainCPU time.Duration
			var peak uint64
			for b.Loop() {
				runtime.GC()
				t0, c0 := time.Now(), cpuTime()
				if err := decodeYAMLv3(files); err != nil {
					b.Fatal(err)
				}
				plain += time.Since(t0)
				plainCPU += cpuTime() - c0
				runtime.GC()
				stop := watchHeap(^uint64(0), func(error) {})
				t0, c0 = time.Now(), cpuTime()
				l, err := pipeline(dir)
				if err != nil {
					b.Fatal(err)
				}
				pipe += time.Since(t0)
				pipeCPU += cpuTime() - c0
				load += l
				peak = max(peak, stop())
			}
			n := float64(b.N)
			b.ReportMetric(pipe.Seconds()/n, "netreach-s")
			b.ReportMetric(load.Seconds()/n, "load-s")
			b.ReportMetric(plain.Seconds()/n, "yaml-s")
			b.ReportMetric(pipe.Seconds()/plain.Seconds(), "ratio")
			b.ReportMetric(pipeCPU.Seconds()/plainCPU.Seconds(), "cpu-ratio")
			b.ReportMetric(mb(peak), "peak-MB")
		})
	}
}

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pipeline does what `netreach matrix -f dir -o summary` does and returns
// the time loading took.
func pipeline(dir string) (time.Duration, error) {
	t0 := time.Now()
	snap, err := policy.Load(policy.LoadOptions{}, dir)
	if err != nil {
		return 0, err
	}
	load := time.Since(t0)
	m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
	if err != nil {
		return 0, err
	}
	var total int64
	for p := range m.PortAtoms() {
		total += m.AllowedPairs(p)
	}
	if total == 0 {
		return 0, errors.New("no allowed pair at all")
	}
	return load, nil
}

// manifestPaths lists the files under dir.
func manifestPaths(tb testing.TB, dir string) []string {
	tb.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// decodeYAMLv3 decodes every document of the files into generic values
// with yaml.v3, the files spread over all cores.
func decodeYAMLv3(files []string) error {
	var wg sync.WaitGroup
	next := make(chan string)
	errs := make(chan error, len(files))
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for f := range next {
				data, err := os.ReadFile(f)
				if err != nil {
					errs <- err
					continue
				}
				dec := yaml.NewDecoder(bytes.NewReader(data))
				for {
					var v any
					if err := dec.Decode(&v); err == io.EOF {
						break
					} else if err != nil {
						errs <- err
						break
					}
				}
			}
		})
	}
	for _, f := range files {
		next <- f
	}
	close(next)
	wg.Wait()
	close(errs)
	return <-errs
}

// BenchmarkLoadJSON times loading what `kubectl get pods,... -o json`
// prints (one List) against decoding the same bytes into generic values
// with encoding/json. It reports:
//
//	load-s     policy.Loader: the List to a snapshot
//	json-s     encoding/json into any
//	ratio      load-s / json-s (the goal is at most 1)
//	cpu-ratio  the same for the CPU time spent
func BenchmarkLoadJSON(b *testing.B) {
	s := size{10000, 300, 2000, false}
	b.Run(fmt.Sprintf("pods=%d", s.pods), func(b *testing.B) {
		data := clusterJSONList(b, s.config(false))
		b.SetBytes(int64(len(data)))
		var load, plain, loadCPU, plainCPU time.Duration
		for b.Loop() {
			t0, c0 := time.Now(), cpuTime()
			var v any
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
			plain += time.Since(t0)
			plainCPU += cpuTime() - c0
			t0, c0 = time.Now(), cpuTime()
			l := policy.NewLoader(policy.LoadOptions{}) // a List is read item by item: no limit to raise
			l.AddBytes("cluster.json", data)
			if _, err := l.Snapshot(); err != nil {
				b.Fatal(err)
			}
			load += time.Since(t0)
			loadCPU += cpuTime() - c0
		}
		b.ReportMetric(load.Seconds()/float64(b.N), "load-s")
		b.ReportMetric(plain.Seconds()/float64(b.N), "json-s")
		b.ReportMetric(load.Seconds()/plain.Seconds(), "ratio")
		b.ReportMetric(loadCPU.Seconds()/plainCPU.Seconds(), "cpu-ratio")
	})
}

// clusterJSONList returns the cluster as one JSON List, as kubectl get -o
// json prints it.
func clusterJSONList(tb testing.TB, cfg bench.Config) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := bench.Generate(cfg).WriteJSONList(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
