package expect_test

import (
	"context"
	"fmt"

	"github.com/netreach/netreach/expect"
	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/reachability"
)

// The CI gate: the expectations hold on the shop's manifests, and two of
// them fail on a change of its policies, each with the policy rule that
// broke it.
func ExampleExpectations_Evaluate() {
	ctx := context.Background()
	x, err := expect.Load("../testdata/check/shop.yaml")
	if err != nil {
		panic(err)
	}
	for _, input := range [][]string{
		{"../testdata/check/shop"},
		{"../testdata/check/shop/cluster.yaml", "../testdata/check/shop-drift"}, // the change
	} {
		snap, err := policy.Load(ctx, policy.LoadOptions{}, input...)
		if err != nil {
			panic(err)
		}
		m, err := reachability.Compute(ctx, snap, reachability.Options{})
		if err != nil {
			panic(err)
		}
		rep, err := x.Evaluate(ctx, m, expect.Options{MaxExamples: 1})
		if err != nil {
			panic(err)
		}
		fmt.Println("gate fails:", rep.HasFailures())
		for _, r := range rep.Failures() {
			fmt.Printf("  %s: %s, %d flows, e.g. %s\n", r.Status, r.Rule, r.NumViolations, r.Violations[0])
			if r.Cause != nil {
				fmt.Printf("    cause: %s\n    at %s\n", r.Cause.Text, r.Location)
			}
		}
	}
	// Output:
	// gate fails: false
	// gate fails: true
	//   fail: only web reaches the database, 1 flows, e.g. ops/debug -> shop/db-7c6b5a498-klmno 5432/TCP: allow
	//     cause: ingress rule 0 (Allow) of NetworkPolicy shop/db-from-web allows it
	//     at ../testdata/check/shop-drift/policy.yaml:25:5
	//   fail: web reaches the internet on 443, 4 flows, e.g. shop/web-5d8f7c9b4-abcde -> 0.0.0.0-9.255.255.255 443/TCP: deny
	//     cause: NetworkPolicy shop/web-egress selects shop/web-5d8f7c9b4-abcde for egress and no rule allows it (isolated by NetworkPolicy and no rule matched: denied)
	//     at ../testdata/check/shop.yaml:14:3
}

// A golden matrix recorded earlier with `netreach matrix -o json`:
// what the change of the shop's policies opens and closes, by workload.
func ExampleGolden_Compare() {
	ctx := context.Background()
	g, err := expect.LoadGolden("../testdata/check/shop.golden.json")
	if err != nil {
		panic(err)
	}
	snap, err := policy.Load(ctx, policy.LoadOptions{}, "../testdata/check/shop/cluster.yaml", "../testdata/check/shop-drift")
	if err != nil {
		panic(err)
	}
	m, err := reachability.Compute(ctx, snap, reachability.Options{})
	if err != nil {
		panic(err)
	}
	d, err := g.Compare(ctx, m, expect.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println("level:", d.Level)
	for _, c := range d.Gained {
		fmt.Printf("gained: %s -> %s %s\n", c.From, c.To, c.Ports)
	}
	for _, c := range d.Lost {
		fmt.Printf("lost: %s -> %s %s\n", c.From, c.To, c.Ports)
	}
	// Output:
	// level: workload
	// gained: ops/debug -> shop/Deployment/db 5432/TCP
	// lost: shop/Deployment/web -> 0.0.0.0-9.255.255.255 443/TCP
	// lost: shop/Deployment/web -> 11.0.0.0-255.255.255.255 443/TCP
}
