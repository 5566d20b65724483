package embed

import (
	"context"
	"errors"
	"testing"

	"github.com/netreach/netreach/expect"
	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/reachability"
)

// matrixOf loads manifests and computes their matrix.
func matrixOf(t *testing.T, paths ...string) *reachability.Matrix {
	t.Helper()
	ctx := context.Background()
	snap, err := policy.Load(ctx, policy.LoadOptions{}, paths...)
	if err != nil {
		t.Fatal(err)
	}
	m, err := reachability.Compute(ctx, snap, reachability.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestGate: a CI gate with the public API: expectations hold on the
// shop, fail on a change of its policies with the policy rule to blame,
// and a golden matrix shows what the change opened and closed.
func TestGate(t *testing.T) {
	ctx := context.Background()
	x, err := expect.Load("../../testdata/check/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := x.Evaluate(ctx, matrixOf(t, "../../testdata/check/shop"), expect.Options{})
	if err != nil || rep.HasFailures() || len(rep.Results) != 3 {
		t.Fatalf("gate on the shop: %+v, %v; want 3 passing rules", rep, err)
	}

	changed := matrixOf(t, "../../testdata/check/shop/cluster.yaml", "../../testdata/check/shop-drift")
	rep, err = x.Evaluate(ctx, changed, expect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fails := rep.Failures()
	if !rep.HasFailures() || len(fails) != 2 {
		t.Fatalf("gate on the change: %d failures; want 2", len(fails))
	}
	first := fails[0]
	if first.Status != expect.Fail || first.Violations[0].Verdict != reachability.Allow || first.Cause == nil || first.Cause.Rule == nil {
		t.Fatalf("first failure = %+v; want an unwanted allow with the rule that allowed it", first)
	}
	if r := first.Cause.Rule; r.Policy.Kind != "NetworkPolicy" || r.Direction != policy.Ingress || !first.Location.IsValid() {
		t.Errorf("cause = %v at %v; want an ingress rule of a NetworkPolicy, located", r, first.Location)
	}

	g, err := expect.LoadGolden("../../testdata/check/shop.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	d, err := g.Compare(ctx, changed, expect.Options{Level: expect.LevelWorkload})
	if err != nil {
		t.Fatal(err)
	}
	if d.IsEmpty() || len(d.Gained) != 1 || d.Gained[0].To != "shop/Deployment/db" || d.Gained[0].After != reachability.Allow {
		t.Errorf("drift = %+v; want the database gained as a destination", d)
	}

	var diags policy.Diagnostics
	if _, err := expect.Load("../../testdata/check/typo.yaml"); err != nil {
		t.Fatalf("typo.yaml is valid, only its selection is empty: %v", err)
	}
	if _, err := expect.Parse("bad.yaml", []byte("apiVersion: netreach.io/v1alpha1\nkind: Expectations\nrules:\n- name: x\n  form: {}\n")); !errors.As(err, &diags) || diags[0].Code != policy.CodeUnknownField {
		t.Errorf("Parse(unknown field) = %v; want a Diagnostics of code UnknownField", err)
	}
}
