package reachability_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

const exampleCluster = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: x, ports: [{name: http, containerPort: 8080}]}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.2}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}]
`

func exampleSnapshot() *policy.Snapshot {
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes("cluster.yaml", []byte(exampleCluster))
	snap, err := l.Snapshot()
	if err != nil {
		panic(err)
	}
	return snap
}

func ExampleCompute() {
	snap := exampleSnapshot()
	m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
	if err != nil {
		panic(err)
	}
	web, _ := m.Lookup("shop/web")
	db, _ := m.Lookup("shop/db")
	for _, port := range []uint16{5432, 22} {
		p := m.PortAtomIndex(policy.TCP, port)
		fmt.Printf("web -> db on %d/TCP: %s\n", port, m.At(web, db, p))
	}
	p := m.PortAtomIndex(policy.TCP, 5432)
	fmt.Printf("db -> web on 5432/TCP: %s\n", m.At(db, web, p))
	// Output:
	// web -> db on 5432/TCP: allow
	// web -> db on 22/TCP: deny
	// db -> web on 5432/TCP: allow
}

func ExampleEvaluate() {
	snap := exampleSnapshot()
	web, _ := reachability.Resolve(snap, "shop/web")
	flow := reachability.Flow{Src: reachability.IPEntity(netip.MustParseAddr("192.0.2.7")), Dst: web[0], Protocol: policy.TCP, Port: 8080}
	verdict, trace := reachability.Evaluate(snap, flow, reachability.Options{})
	fmt.Println(verdict, "-", trace.Ingress.Decision)
	db, _ := reachability.Resolve(snap, "shop/db")
	flow.Dst = db[0]
	verdict, trace = reachability.Evaluate(snap, flow, reachability.Options{})
	fmt.Println(verdict, "-", trace.Ingress.Decision)
	// Output:
	// allow - no policy selects it for this direction: allowed
	// deny - isolated by NetworkPolicy and no rule matched: denied
}

func ExampleUpdate() {
	ctx := context.Background()
	snap := exampleSnapshot()
	// KeepSides keeps what Update needs; without it the first Update
	// computes from scratch (and says so).
	m, err := reachability.Compute(ctx, snap, reachability.Options{KeepSides: true})
	if err != nil {
		panic(err)
	}
	// A new pod, labelled like web: it joins web's class.
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes("change.yaml", []byte(`
apiVersion: v1
kind: Pod
metadata: {name: web-2, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: x, ports: [{name: http, containerPort: 8080}]}]}
status: {podIP: 10.0.0.3}
`))
	change, err := l.Snapshot()
	if err != nil {
		panic(err)
	}
	next, err := snap.Apply(change, nil)
	if err != nil {
		panic(err)
	}
	m2, err := reachability.Update(ctx, m, next)
	if err != nil {
		panic(err)
	}
	web2, _ := m2.Lookup("shop/web-2")
	db, _ := m2.Lookup("shop/db")
	st := m2.Stats()
	fmt.Printf("web-2 -> db on 5432/TCP: %s\n", m2.At(web2, db, m2.PortAtomIndex(policy.TCP, 5432)))
	fmt.Printf("full: %v, rows evaluated: %d, classes added: %d\n", st.Update.Full, st.RowsEvaluated, st.Update.ClassesAdded)
	// Output:
	// web-2 -> db on 5432/TCP: allow
	// full: false, rows evaluated: 0, classes added: 0
}

func ExampleMatrix_Connections() {
	m, err := reachability.Compute(context.Background(), exampleSnapshot(), reachability.Options{})
	if err != nil {
		panic(err)
	}
	web, _ := m.Lookup("shop/web")
	db, _ := m.Lookup("shop/db")
	allowed, _ := m.Connections(web, db)
	fmt.Println("web => db :", allowed)
	back, _ := m.Connections(db, web)
	fmt.Println("db => web :", back)
	// Output:
	// web => db : TCP 5432
	// db => web : All Connections
}
