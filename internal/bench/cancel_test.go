package bench_test

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/bench"
	"github.com/netreach/netreach/internal/expect"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

var cancelPods = flag.Int("cancel.pods", 0, "measure how soon Load, Compute, Evaluate, Compare and audit.New return after their context is cancelled, on a cluster of this many pods (0: skip); run under flock /tmp/netreach-heavy.lock")

// TestCancellationLatency measures, for every long call, the time from
// cancelling its context to its return, cancelling at several points of
// the work. It reports the figures and asserts only that each call
// returns the context's error: timings depend on the machine and belong
// in the report, not in an assertion.
//
//	flock /tmp/netreach-heavy.lock go test ./internal/bench -run TestCancellationLatency -cancel.pods 150000 -v -timeout 30m
func TestCancellationLatency(t *testing.T) {
	if *cancelPods == 0 {
		t.Skip("set -cancel.pods N to measure cancellation latency")
	}
	dir := t.TempDir()
	if err := bench.Generate(bench.Config{Pods: *cancelPods}).WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	measure := func(name string, after time.Duration, call func(ctx context.Context) error) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- call(ctx) }()
		select {
		case err := <-done:
			cancel()
			t.Logf("%-10s finished in %v before the cancel at %v (err %v)", name, time.Since(start), after, err)
			return
		case <-time.After(after):
		}
		cancel()
		at := time.Now()
		err := <-done
		t.Logf("%-10s cancelled at %v: returned %v later", name, after, time.Since(at))
		if err == nil {
			t.Errorf("%s: cancelled, but returned no error", name)
		}
	}
	for _, after := range []time.Duration{200 * time.Millisecond, 2 * time.Second, 8 * time.Second} {
		measure("Load", after, func(ctx context.Context) error {
			_, err := policy.LoadContext(ctx, policy.LoadOptions{}, dir)
			return err
		})
	}
	snap, err := policy.Load(policy.LoadOptions{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, after := range []time.Duration{200 * time.Millisecond, 2 * time.Second} {
		measure("Compute", after, func(ctx context.Context) error {
			_, err := reachability.Compute(ctx, snap, reachability.Options{})
			return err
		})
	}
	m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x, err := expect.Parse("x.yaml", []byte("apiVersion: netreach.io/v1alpha1\nkind: Expectations\nrules:\n- name: all\n  from: {namespace: \"*\"}\n  to: {namespace: \"*\"}\n  expect: allow\n"))
	if err != nil {
		t.Fatal(err)
	}
	measure("Evaluate", 500*time.Millisecond, func(ctx context.Context) error {
		_, err := x.EvaluateContext(ctx, m, expect.Options{})
		return err
	})
	measure("audit.New", 500*time.Millisecond, func(ctx context.Context) error {
		_, err := audit.New(ctx, nil, m, audit.Options{})
		return err
	})
}
