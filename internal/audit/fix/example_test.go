package fix_test

import (
	"context"
	"fmt"

	"github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/audit/fix"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// Example generates the fixes of an application namespace with the
// classic policy mistakes and prints, for each, the pod pairs whose flows
// it closes and opens (computed with the patch applied). Moving the
// misplaced ports: of db-from-web closes nothing: another policy,
// db-from-web-again, allows web to db on every port; removing that
// redundant copy alone changes nothing either.
func Example() {
	snap, err := policy.Load(policy.LoadOptions{}, "../../../testdata/fixes/mistakes/input")
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
	// move-ports-app-db-from-web: closes 0, opens 0
	// add-default-deny-kube-system-default-deny-ingress-egress: closes 3, opens 0
	// correct-namespace-selector-app-web-from-kube-system: closes 0, opens 1
	// add-dns-egress-app-allow-dns-egress: closes 0, opens 2
	// remove-redundant-rule-app-db-from-web-again: closes 0, opens 0
}
