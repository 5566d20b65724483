package audit_test

import (
	"context"
	"fmt"

	"github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// Example audits a small application namespace with the classic policy
// mistakes and prints its findings, most serious first.
func Example() {
	snap, err := policy.Load(policy.LoadOptions{}, "../../testdata/audit/mistakes")
	if err != nil {
		panic(err)
	}
	m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
	if err != nil {
		panic(err)
	}
	for _, f := range audit.Findings(snap, m, audit.Options{Shared: []string{"kube-system"}}) {
		fmt.Printf("%s %-8s %s\n", f.ID, f.Severity, f.Kind)
	}
	// Output:
	// NR013 high     unknown-field
	// NR001 medium   ingress-not-isolated
	// NR006 medium   egress-to-internet
	// NR007 medium   wide-cidr
	// NR008 medium   ingress-from-outside
	// NR010 medium   peer-matches-nothing
	// NR014 medium   dns-blocked
	// NR002 low      egress-not-isolated
	// NR009 low      policy-selects-nothing
	// NR017 low      blast-radius
	// NR012 info     rule-redundant
}

// ExampleKinds lists the finding kinds with their default severities.
func ExampleKinds() {
	for _, k := range audit.Kinds()[:3] {
		fmt.Println(k.ID, k.Severity, k.Title)
	}
	// Output:
	// NR001 medium Pods not isolated for ingress
	// NR002 low Pods not isolated for egress
	// NR003 low Namespace without a default deny
}
