package policy_test

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netreach/netreach/internal/policy"
)

// Typed objects as an informer's cache holds them: no TypeMeta. They are
// read through the same validation as files, and never modified.
func ExampleFromObjects() {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}
	web := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Labels: map[string]string{"app": "web"}},
		Status: corev1.PodStatus{PodIP: "10.0.0.1"}}
	deny := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "deny-all", Namespace: "shop"}}
	snap, err := policy.FromObjects(ns, web, deny)
	if err != nil {
		panic(err)
	}
	for _, e := range snap.Endpoints {
		fmt.Println("endpoint", e.ID(), e.IPs)
	}
	for _, np := range snap.NetworkPolicies {
		fmt.Println(np.ObjectRef, np.Spec.PolicyTypes)
	}
	// Output:
	// endpoint shop/web [10.0.0.1]
	// NetworkPolicy shop/deny-all [Ingress]
}

// A long-lived snapshot follows the cluster: With adds or replaces
// objects, Without removes them, and each result's diagnostics are those
// of its own objects, so an error goes away once the policy is fixed.
func ExampleSnapshot_With() {
	np := func(cidr string) *networkingv1.NetworkPolicy {
		return &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "corp", Namespace: "shop"},
			Spec: networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: cidr}}}}}}}
	}
	snap, _ := policy.FromObjects(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, np("10.0.0.0/33"))
	for _, d := range snap.Diagnostics {
		fmt.Println(d.Code, d.Field)
	}
	fixed, err := snap.With(np("10.0.0.0/8"))
	fmt.Println("after the fix:", err, fixed.Diagnostics.HasErrors())

	ref, _ := policy.RefOf(np(""))
	gone, _ := fixed.Without(ref)
	fmt.Println("policies left:", len(gone.NetworkPolicies))
	// Output:
	// Invalid spec.ingress[0].from[0].ipBlock.cidr
	// after the fix: <nil> false
	// policies left: 0
}
