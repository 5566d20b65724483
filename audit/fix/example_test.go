package fix_test

import (
	"context"
	"fmt"

	"github.com/netreach/netreach/audit"
	"github.com/netreach/netreach/audit/fix"
	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/reachability"
)

// Example generates the fixes of an application namespace with the
// classic policy mistakes and prints, for each, the pod pairs whose flows
// it closes and opens (computed with the patch applied).
func Example() {
	snap, err := policy.Load(policy.LoadOptions{}, "../../testdata/fixes/edits/input")
	if err != nil {
		panic(err)
	}
	m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
	if err != nil {
		panic(err)
	}
	findings := audit.Findings(snap, m, audit.Options{})
	res, err := fix.Generate(context.Background(), snap, m, findings, fix.Options{})
	if err != nil {
		panic(err)
	}
	for _, fx := range res.Fixes {
		fmt.Printf("%s: closes %d, opens %d\n", fx.ID, fx.Effect.Closed.Pairs, fx.Effect.Opened.Pairs)
	}
	// Output:
	// move-ports-app-db-from-web: closes 1, opens 0
	// move-ports-app-web-from-system: closes 0, opens 0
	// add-default-deny-kube-system-default-deny-ingress-egress: closes 2, opens 0
	// correct-namespace-selector-app-web-from-system: closes 0, opens 1
	// add-dns-egress-app-allow-dns-egress: closes 0, opens 2
	// remove-redundant-rule-app-web-egress: closes 0, opens 0
}
