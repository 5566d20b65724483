package policy_test

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netreach/netreach/policy"
)

// Load reads manifests from files and directories; the error of invalid
// input is a Diagnostics, each with a code and a location.
func ExampleLoad() {
	snap, err := policy.Load(context.Background(), policy.LoadOptions{}, "../testdata/scenarios/tenant-isolation")
	if err != nil {
		var ds policy.Diagnostics
		if errors.As(err, &ds) {
			for _, d := range ds.Errors() {
				fmt.Println(d.Code, d.Location, d.Message)
			}
		}
		return
	}
	fmt.Println(snap.Namespaces())
	fmt.Println(len(snap.Endpoints()), "endpoints,", len(snap.Diagnostics().Warnings()), "warnings")
	// Output:
	// [ingress kube-system monitoring test01-db test01-web test02-db test02-web]
	// 7 endpoints, 0 warnings
}

// FromObjects takes typed objects as an informer's cache holds them,
// without TypeMeta, and never modifies them. With and Without follow the
// cluster's changes.
func ExampleFromObjects() {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}
	web := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Labels: map[string]string{"app": "web"}},
		Status: corev1.PodStatus{PodIP: "10.0.0.1"}}
	db := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "shop", Labels: map[string]string{"app": "db"}},
		Status: corev1.PodStatus{PodIP: "10.0.0.2"}}
	snap, err := policy.FromObjects(ns, web, db)
	if err != nil {
		panic(err)
	}
	fmt.Println(snap.Endpoints())

	// A policy is added; the web pod is deleted.
	deny := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "deny-all", Namespace: "shop"}}
	snap, err = snap.With(deny)
	if err != nil {
		panic(err)
	}
	ref, err := policy.RefOf(web)
	if err != nil {
		panic(err)
	}
	snap, err = snap.Without(ref)
	if err != nil {
		panic(err)
	}
	fmt.Println(snap.Endpoints(), snap.Objects())
	// Output:
	// [shop/db shop/web]
	// [shop/db] [Namespace shop NetworkPolicy shop/deny-all Pod shop/db]
}

// A Loader gathers files, bytes and objects, and reads them all under
// one context.
func ExampleLoader() {
	l := policy.NewLoader(policy.LoadOptions{Strict: true})
	l.AddBytes("inline.yaml", []byte(`apiVersion: v1
kind: Namespace
metadata: {name: shop, color: blue}
`))
	if err := l.AddObject(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"}}); err != nil {
		panic(err)
	}
	snap, err := l.Snapshot(context.Background())
	for _, d := range snap.Diagnostics() {
		fmt.Println(d.Severity, d.Code, d.Location, d.Field, d.Value)
	}
	fmt.Println(err != nil)
	// Output:
	// error UnknownField inline.yaml:3:24 metadata.color color
	// true
}
