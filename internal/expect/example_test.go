package expect_test

import (
	"context"
	"fmt"

	"github.com/netreach/netreach/internal/expect"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

func ExampleExpectations_Evaluate() {
	snap, err := policy.Load(policy.LoadOptions{}, "../../testdata/scenarios/tenant-isolation")
	if err != nil {
		panic(err)
	}
	m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
	if err != nil {
		panic(err)
	}
	x, err := expect.Parse("expectations.yaml", []byte(`
apiVersion: netreach.io/v1alpha1
kind: Expectations
rules:
- name: tenants are isolated
  isolate:
    namespacesBy: client
    except:
    - to: {namespace: kube-system, podSelector: {matchLabels: {k8s-app: kube-dns}}}
      ports: [53/UDP, 53/TCP]
    - with: {namespace: ingress}
    - from: {namespace: monitoring}
- name: monitoring cannot reach test01-web
  from: {namespace: monitoring}
  to: {namespace: test01-web}
  ports: [80/TCP]
  expect: deny
`))
	if err != nil {
		panic(err)
	}
	for _, r := range x.Evaluate(m, expect.Options{}) {
		fmt.Printf("%s: %s\n", r.Rule.Name, r.Status)
		for _, v := range r.Violations {
			fmt.Println("  ", v)
		}
		if r.Cause != nil {
			fmt.Println("   cause:", r.Cause.Text)
		}
	}
	// Output:
	// tenants are isolated: pass
	// monitoring cannot reach test01-web: fail
	//    monitoring/prometheus -> test01-web/app 80/TCP: allow
	//    cause: ingress rule 0 (Allow) of NetworkPolicy test01-web/allow-from-monitoring allows it
}

func ExampleGolden_Compare() {
	load := func(paths ...string) *reachability.Matrix {
		snap, err := policy.Load(policy.LoadOptions{}, paths...)
		if err != nil {
			panic(err)
		}
		m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
		if err != nil {
			panic(err)
		}
		return m
	}
	g, err := expect.LoadGolden("../../testdata/check/shop.golden.json")
	if err != nil {
		panic(err)
	}
	d := g.Compare(load("../../testdata/check/shop/cluster.yaml", "../../testdata/check/shop-drift"), expect.LevelAuto)
	fmt.Println("level:", d.Level)
	for _, c := range d.Gained {
		fmt.Printf("gained: %s -> %s %s/%s\n", c.Src, c.Dst, c.Ports(), c.Protocol)
	}
	for _, c := range d.Lost {
		fmt.Printf("lost: %s -> %s %s/%s\n", c.Src, c.Dst, c.Ports(), c.Protocol)
	}
	// Output:
	// level: workload
	// gained: ops/debug -> shop/Deployment/db 5432/TCP
	// lost: shop/Deployment/web -> 0.0.0.0-9.255.255.255 443/TCP
	// lost: shop/Deployment/web -> 11.0.0.0-255.255.255.255 443/TCP
}

func ExampleParsePort() {
	for _, s := range []string{"53/UDP", "8000-8080", "SCTP", "http"} {
		p, _ := expect.ParsePort(s)
		fmt.Printf("%-10s %s\n", s, p)
	}
	// Output:
	// 53/UDP     53/UDP
	// 8000-8080  8000-8080/TCP
	// SCTP       SCTP
	// http       http
}
