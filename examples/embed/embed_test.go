package embed

import (
	"context"
	"errors"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/cache"

	"github.com/netreach/netreach/audit"
	"github.com/netreach/netreach/expect"
	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/reachability"
)

func pod(name, app, ip string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: map[string]string{"app": app}},
		Status: corev1.PodStatus{PodIP: ip, Phase: corev1.PodRunning}}
}

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

// informerCache is what a controller's informers hold: typed objects
// without TypeMeta, in one client-go store per kind (as each informer
// has its own), listed together.
func informerCache(t *testing.T) []any {
	t.Helper()
	var out []any
	for _, objs := range [][]any{
		{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}},
		{pod("web", "web", "10.0.0.1"), pod("db", "db", "10.0.0.2"), pod("job", "job", "10.0.0.3")},
		{dbPolicy("web")},
	} {
		store := cache.NewStore(cache.MetaNamespaceKeyFunc)
		for _, o := range objs {
			if err := store.Add(o); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, store.List()...)
	}
	return out
}

func query(t *testing.T, m *reachability.Matrix, from, to string) reachability.Verdict {
	t.Helper()
	v, err := m.Query(from, to, reachability.Port{Protocol: policy.TCP, Number: 5432})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestLoadQueryUpdate: load from the informer cache without changing it,
// query by name and selection, then follow a change with With and
// Without.
func TestLoadQueryUpdate(t *testing.T) {
	ctx := context.Background()
	objs := informerCache(t)
	before := make([]any, len(objs))
	for i, o := range objs {
		before[i] = o.(runtime.Object).DeepCopyObject()
	}
	snap, err := policy.FromObjects(objs...)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(objs, before) {
		t.Fatal("FromObjects modified the informer's objects")
	}
	m, err := reachability.Compute(ctx, snap, reachability.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if query(t, m, "shop/web", "shop/db") != reachability.Allow || query(t, m, "shop/job", "shop/db") != reachability.Deny {
		t.Fatal("wrong verdicts")
	}
	if _, err := m.Query("shop/nope", "shop/db", reachability.Port{Protocol: policy.TCP, Number: 5432}); !errors.As(err, new(*reachability.UnknownEndpointError)) {
		t.Fatalf("unknown endpoint: err = %v", err)
	}
	who, err := m.Reachers(reachability.MustParseSelection("app=db"), reachability.AllConnections(m.ConnectionScope()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range who {
		names = append(names, name)
	}
	if !reflect.DeepEqual(names, []string{"shop/web"}) {
		t.Fatalf("Reachers(app=db) = %v", names)
	}

	// The job becomes the database's client; the web pod is deleted.
	snap2, err := snap.With(dbPolicy("job"))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := policy.RefOf(pod("web", "web", "10.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	snap3, err := snap2.Without(ref)
	if err != nil {
		t.Fatal(err)
	}
	m3, err := reachability.Compute(ctx, snap3, reachability.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if query(t, m3, "shop/job", "shop/db") != reachability.Allow {
		t.Fatal("the job should reach the database after the change")
	}
	if _, err := m3.Query("shop/web", "shop/db", reachability.Port{Protocol: policy.TCP, Number: 5432}); err == nil {
		t.Fatal("the deleted web pod is still answered for")
	}
}

// TestAggregateGateAudit: aggregate by namespace, gate with expectations,
// audit, each with a context.
func TestAggregateGateAudit(t *testing.T) {
	ctx := context.Background()
	snap, err := policy.FromObjects(informerCache(t)...)
	if err != nil {
		t.Fatal(err)
	}
	m, err := reachability.Compute(ctx, snap, reachability.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := m.Group(reachability.GroupOptions{By: reachability.ByNamespace, NoExternal: true})
	if err != nil || v.NumGroups() != 1 {
		t.Fatalf("Group = %v groups, %v", v.NumGroups(), err)
	}
	x, err := expect.Parse("gate.yaml", []byte(`apiVersion: netreach.io/v1alpha1
kind: Expectations
rules:
- name: only web reaches the database
  from: {namespace: shop, podSelector: {matchLabels: {app: job}}}
  to: {namespace: shop, podSelector: {matchLabels: {app: db}}}
  ports: [5432/TCP]
  expect: deny
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := x.EvaluateContext(ctx, m, expect.Options{})
	if err != nil || len(res) != 1 || res[0].Status != expect.Pass {
		t.Fatalf("gate: %v, %v", res, err)
	}
	fs, err := audit.FindingsContext(ctx, nil, m, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 {
		t.Fatal("audit found nothing: the pods web and job are not isolated")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := policy.LoadContext(cancelled, policy.LoadOptions{}, "../../testdata/scenarios/tenant-isolation"); !errors.Is(err, context.Canceled) {
		t.Fatalf("LoadContext(cancelled) = %v", err)
	}
}
