package expect_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/countdown"
	"github.com/netreach/netreach/internal/expect"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// TestEvaluateCancelled checks that EvaluateContext returns
// context.Canceled when cancelled before it starts, and within one source
// of many destinations and within the pairs of an isolation rule, where
// a look per source would not notice.
func TestEvaluateCancelled(t *testing.T) {
	var b strings.Builder
	for _, ns := range []string{"a", "b"} {
		fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata: {name: %s, labels: {tenant: %s}}\n---\n", ns, ns)
		for i := range 1100 {
			ip := 1
			if ns == "b" {
				ip = 2
			}
			fmt.Fprintf(&b, "apiVersion: v1\nkind: Pod\nmetadata: {name: p%d, namespace: %s, labels: {app: x}}\nspec: {nodeName: n1, containers: [{name: c, image: i}]}\nstatus: {phase: Running, podIP: 10.%d.%d.%d}\n---\n", i, ns, ip, i/250, i%250+1)
		}
	}
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes("c.yaml", []byte(b.String()))
	snap, err := l.Snapshot()
	require.NoError(t, err)
	m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
	require.NoError(t, err)
	require.Equal(t, 2200, m.NumEndpoints()) // more than two looks' worth of destinations

	for _, tc := range []struct {
		name, rule string
		looks      int // the look that cancels
	}{
		{"pre-cancelled", "from: {namespace: a, pod: p0}\nto: {namespace: \"*\"}\nexpect: allow", 0},
		// One source: a look per source and one per rule alone would let
		// the rule finish.
		{"one source, many destinations", "from: {namespace: a, pod: p0}\nto: {namespace: \"*\"}\nexpect: allow", 2},
		{"isolation", "isolate: {namespacesBy: tenant}", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, err := expect.Parse("x.yaml", []byte(rules("name: r\n"+tc.rule)))
			require.NoError(t, err)
			full, err := x.EvaluateContext(context.Background(), m, expect.Options{})
			require.NoError(t, err)
			require.Len(t, full, 1)
			require.Nil(t, full[0].Err, "the rule evaluates")
			res, err := x.EvaluateContext(countdown.New(tc.looks), m, expect.Options{})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled at look %d: err %v, want context.Canceled", tc.looks, err)
			}
			require.Nil(t, res)
		})
	}
}
