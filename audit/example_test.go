package audit_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/netreach/netreach/audit"
	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/reachability"
)

// Auditing a cluster with policy mistakes (testdata/audit/mistakes): each
// finding with its ID, risk, what it is about and where to look.
func ExampleRun() {
	ctx := context.Background()
	snap, err := policy.Load(ctx, policy.LoadOptions{}, "../testdata/audit/mistakes")
	if err != nil {
		panic(err)
	}
	m, err := reachability.Compute(ctx, snap, reachability.Options{})
	if err != nil {
		panic(err)
	}
	r, err := audit.Run(ctx, m, audit.Options{Shared: []string{"kube-system"}})
	if err != nil {
		panic(err)
	}
	for _, f := range r.Findings {
		if f.Risk < audit.Medium {
			continue
		}
		fmt.Printf("%s %s %s %s\n", f.ID, f.Risk, f.Kind, strings.Join(f.Namespaces, ","))
		if f.Rule != nil {
			fmt.Printf("  %s\n", f.Rule)
		}
	}
	fmt.Println("fail on high:", r.HasRisk(audit.High))
	// Output:
	// NR013 high unknown-field app
	// NR001 medium ingress-not-isolated kube-system
	// NR006 medium egress-to-internet app,kube-system
	// NR007 medium wide-cidr app
	//   NetworkPolicy app/web-egress egress[1] at ../testdata/audit/mistakes/policy.yaml:50:5
	// NR008 medium ingress-from-outside kube-system
	// NR010 medium peer-matches-nothing app
	//   NetworkPolicy app/web-from-kube-system ingress[0] at ../testdata/audit/mistakes/policy.yaml:64:5
	// NR014 medium dns-blocked app
	// fail on high: true
}

// Accepting findings for a while: a waiver moves them to Waived until it
// expires.
func ExampleParseWaivers() {
	ws, _, err := audit.ParseWaivers("waivers.yaml", []byte(`
apiVersion: netreach.io/v1alpha1
kind: AuditWaivers
waivers:
- kind: NR004
  objects: [alpha]
  reason: alpha-jobs runs alpha's batch jobs
  expires: 2099-12-31
`))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	snap, err := policy.Load(ctx, policy.LoadOptions{}, "../testdata/audit/open")
	if err != nil {
		panic(err)
	}
	m, err := reachability.Compute(ctx, snap, reachability.Options{})
	if err != nil {
		panic(err)
	}
	r, err := audit.Run(ctx, m, audit.Options{Waivers: ws})
	if err != nil {
		panic(err)
	}
	for _, f := range r.Waived {
		fmt.Printf("%s waived until %s: %s\n", f.ID, f.Waiver.Expires.Format("2006-01-02"), f.Waiver.Reason)
	}
	// Output:
	// NR004 waived until 2099-12-31: alpha-jobs runs alpha's batch jobs
}
