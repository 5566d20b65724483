package reachability_test

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/reachability"
)

func pod(name, app, ip string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: map[string]string{"app": app}},
		Status: corev1.PodStatus{PodIP: ip}}
}

// dbPolicy lets the pods labelled app=from reach the database on 5432.
func dbPolicy(from string) *networkingv1.NetworkPolicy {
	port := intstr.FromInt32(5432)
	return &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "shop"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": from}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: &port}},
			}},
		}}
}

// shop is a small cluster: the web pod may reach the database on 5432,
// the job may not reach it at all.
func shop() *policy.Snapshot {
	snap, err := policy.FromObjects(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}},
		pod("web", "web", "10.0.0.1"), pod("db", "db", "10.0.0.2"), pod("job", "job", "10.0.0.3"), dbPolicy("web"))
	if err != nil {
		panic(err)
	}
	return snap
}

var postgres = reachability.Port{Protocol: policy.TCP, Port: 5432}

// Query answers one question by name or address; a name the matrix does
// not have is an error, never an answer.
func ExampleMatrix_Query() {
	m, err := reachability.Compute(context.Background(), shop(), reachability.Options{})
	if err != nil {
		panic(err)
	}
	for _, from := range []string{"shop/web", "shop/job", "10.0.0.1"} {
		v, err := m.Query(from, "shop/db", postgres)
		fmt.Println(from, "->", "shop/db:", v, err)
	}
	_, err = m.Query("shop/gone", "shop/db", postgres)
	var unknown *reachability.UnknownEndpointError
	fmt.Println(errors.As(err, &unknown), unknown.Name)
	// Output:
	// shop/web -> shop/db: allow <nil>
	// shop/job -> shop/db: deny <nil>
	// 10.0.0.1 -> shop/db: allow <nil>
	// true shop/gone
}

// Reachers answers "who can reach this, and on what": here, who can
// reach the database on any port.
func ExampleMatrix_Reachers() {
	m, err := reachability.Compute(context.Background(), shop(), reachability.Options{})
	if err != nil {
		panic(err)
	}
	who, err := m.Reachers(reachability.MustParseSelection("app=db"), reachability.AllConnections())
	if err != nil {
		panic(err)
	}
	for name, conns := range who {
		fmt.Println(name, conns)
	}
	// Output:
	// shop/web TCP 5432
}

// Group aggregates the matrix: here by namespace, without the external
// address ranges.
func ExampleMatrix_Group() {
	ctx := context.Background()
	m, err := reachability.Compute(ctx, shop(), reachability.Options{})
	if err != nil {
		panic(err)
	}
	g, err := m.Group(reachability.GroupOptions{By: reachability.ByNamespace, EndpointsOnly: true})
	if err != nil {
		panic(err)
	}
	for p, err := range g.Pairs(ctx) {
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s -> %s: %d pairs; all of them: %s; some: %s\n", p.From.Name, p.To.Name, p.Pairs, p.Full, p.Partial)
	}
	// Output:
	// shop -> shop: 6 pairs; all of them: No Connections; some: All Connections
}

// Update follows a change of the cluster, recomputing only what it
// reaches; Stats says how the matrix was made.
func ExampleMatrix_Update() {
	ctx := context.Background()
	snap := shop()
	m, err := reachability.Compute(ctx, snap, reachability.Options{})
	if err != nil {
		panic(err)
	}
	// A second web pod starts.
	next, err := snap.With(pod("web-2", "web", "10.0.0.4"))
	if err != nil {
		panic(err)
	}
	m, err = m.Update(ctx, next)
	if err != nil {
		panic(err)
	}
	v, err := m.Query("shop/web-2", "shop/db", postgres)
	st := m.Stats()
	fmt.Println(v, err, "incremental:", st.Updated && !st.Full)
	// Output:
	// allow <nil> incremental: true
}

// Explain says which rule decided each side of a connection.
func ExampleMatrix_Explain() {
	m, err := reachability.Compute(context.Background(), shop(), reachability.Options{})
	if err != nil {
		panic(err)
	}
	e, err := m.Explain("shop/job", "shop/db", postgres)
	if err != nil {
		panic(err)
	}
	fmt.Println(e.Verdict, "| egress:", e.Egress.Decision, "| ingress:", e.Ingress.Decision)
	e, err = m.Explain("shop/web", "shop/db", postgres)
	if err != nil {
		panic(err)
	}
	fmt.Println(e.Verdict, "by", e.Ingress.Rule)
	// Output:
	// deny | egress: no policy selects it for this direction: allowed | ingress: isolated by NetworkPolicy and no rule matched: denied
	// allow by NetworkPolicy shop/db ingress[0]
}
