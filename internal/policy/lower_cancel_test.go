package policy_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/netreach/netreach/internal/countdown"
	"github.com/netreach/netreach/internal/policy"
)

// TestLowerContextCancelled checks that LowerContext returns
// context.Canceled and no program when cancelled before it starts and
// between policies, and lowers every policy otherwise.
func TestLowerContextCancelled(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
	for i := range 40 {
		fmt.Fprintf(&b, "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p%d, namespace: a}\nspec: {podSelector: {}, ingress: [{}]}\n", i)
	}
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes("c.yaml", []byte(b.String()))
	snap, err := l.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := policy.LowerContext(context.Background(), snap, policy.LowerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tier := range p.Tiers {
		n += len(tier.Policies)
	}
	if n != 40 {
		t.Fatalf("lowered %d policies, want 40", n)
	}
	for _, looks := range []int{0, 1, 2} { // before the 1st, the 17th, the 33rd policy
		ctx := countdown.New(looks)
		p, diags, err := policy.LowerContext(ctx, snap, policy.LowerOptions{})
		if !errors.Is(err, context.Canceled) || p != nil || diags != nil {
			t.Errorf("cancelled at look %d: program %v, diagnostics %v, err %v; want none and context.Canceled", looks, p, diags, err)
		}
	}
}
