package reachability_test

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// shop is a small cluster: a web pod may reach the database on 5432, a
// job may not reach it at all.
func shop() *policy.Snapshot {
	pod := func(name, app, ip string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: map[string]string{"app": app}},
			Status: corev1.PodStatus{PodIP: ip}}
	}
	port := intstr.FromInt32(5432)
	db := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "shop"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: &port}},
			}},
		}}
	snap, err := policy.FromObjects(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}},
		pod("web", "web", "10.0.0.1"), pod("db", "db", "10.0.0.2"), pod("job", "job", "10.0.0.3"), db)
	if err != nil {
		panic(err)
	}
	return snap
}

// Query answers one question by name; a name the matrix does not have is
// an error, never an answer.
func ExampleMatrix_Query() {
	m, err := reachability.Compute(context.Background(), shop(), reachability.Options{})
	if err != nil {
		panic(err)
	}
	for _, from := range []string{"shop/web", "shop/job", "10.0.0.1"} {
		v, err := m.Query(from, "shop/db", reachability.Port{Protocol: policy.TCP, Number: 5432})
		fmt.Println(from, "->", "shop/db:", v, err)
	}
	_, err = m.Query("shop/gone", "shop/db", reachability.Port{Protocol: policy.TCP, Number: 5432})
	var unknown *reachability.UnknownEndpointError
	fmt.Println(errors.As(err, &unknown), unknown.Name)
	// Output:
	// shop/web -> shop/db: allow <nil>
	// shop/job -> shop/db: deny <nil>
	// 10.0.0.1 -> shop/db: allow <nil>
	// true shop/gone
}

// Reachers answers "who can reach this selection", with the connections
// each can open; Reachable answers the mirror question.
func ExampleMatrix_Reachers() {
	m, err := reachability.Compute(context.Background(), shop(), reachability.Options{})
	if err != nil {
		panic(err)
	}
	db := reachability.MustParseSelection("app=db")
	who, err := m.Reachers(db, reachability.AllConnections(m.ConnectionScope()))
	if err != nil {
		panic(err)
	}
	for name, conns := range who {
		fmt.Println(name, conns)
	}
	// Output:
	// shop/web TCP 5432
}

// Group aggregates the matrix, here by namespace: the question "which
// namespaces talk to which" at any size.
func ExampleMatrix_Group() {
	m, err := reachability.Compute(context.Background(), shop(), reachability.Options{})
	if err != nil {
		panic(err)
	}
	v, err := m.Group(reachability.GroupOptions{By: reachability.ByNamespace, NoExternal: true})
	if err != nil {
		panic(err)
	}
	err = v.Walk(context.Background(), func(p *reachability.GroupPair) error {
		fmt.Println(p.Src.Name, "->", p.Dst.Name, "member pairs:", p.Pairs)
		for _, part := range p.Partial {
			fmt.Println("  ", part.Pairs, "pairs can open", part.Connections)
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
	// Output:
	// shop -> shop member pairs: 6
	//    4 pairs can open TCP 1-5431,5433-65535; UDP 1-65535; SCTP 1-65535
	//    5 pairs can open TCP 5432
}
