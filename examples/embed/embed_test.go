package embed

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"

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

var postgres = reachability.Port{Protocol: policy.TCP, Port: 5432}

// informerCache starts the informers of a fake clientset, as a controller
// does against a real API server, and returns their stores once synced:
// typed objects without TypeMeta, one store per kind.
func informerCache(t *testing.T, objs ...runtime.Object) []cache.Store {
	t.Helper()
	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	stores := []cache.Store{
		factory.Core().V1().Namespaces().Informer().GetStore(),
		factory.Core().V1().Pods().Informer().GetStore(),
		factory.Networking().V1().NetworkPolicies().Informer().GetStore(),
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			t.Fatalf("the informer of %v did not sync", typ)
		}
	}
	return stores
}

// listed returns every object the stores hold.
func listed(stores []cache.Store) []any {
	var out []any
	for _, s := range stores {
		out = append(out, s.List()...)
	}
	return out
}

func query(t *testing.T, m *reachability.Matrix, from, to string) reachability.Verdict {
	t.Helper()
	v, err := m.Query(from, to, postgres)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestInformerLoadQueryUpdate: load the informers' objects without
// changing them, ask by name and by selection, group by namespace, then
// follow the informers' events with With, Without and Update.
func TestInformerLoadQueryUpdate(t *testing.T) {
	ctx := context.Background()
	stores := informerCache(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}},
		pod("web", "web", "10.0.0.1"), pod("db", "db", "10.0.0.2"), pod("job", "job", "10.0.0.3"), dbPolicy("web"))
	objs := listed(stores)
	if len(objs) != 5 {
		t.Fatalf("the informers hold %d objects, want 5", len(objs))
	}
	before := make([]any, len(objs))
	for i, o := range objs {
		before[i] = o.(runtime.Object).DeepCopyObject()
		if kind := o.(runtime.Object).GetObjectKind().GroupVersionKind().Kind; kind != "" {
			t.Fatalf("an informer's object with TypeMeta (%s): the test would not show that none is needed", kind)
		}
	}

	// Load.
	snap, err := policy.FromObjects(objs...)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(objs, before) {
		t.Fatal("FromObjects modified the informer's objects")
	}
	if got := snap.Endpoints(); !slices.Equal(got, []string{"shop/db", "shop/job", "shop/web"}) {
		t.Fatalf("Endpoints() = %v", got)
	}
	m, err := reachability.Compute(ctx, snap, reachability.Options{})
	if err != nil {
		t.Fatal(err)
	}

	// Query by name, and refuse what the matrix does not have.
	if query(t, m, "shop/web", "shop/db") != reachability.Allow || query(t, m, "shop/job", "shop/db") != reachability.Deny {
		t.Fatal("wrong verdicts")
	}
	if _, err := m.Query("shop/nope", "shop/db", postgres); !errors.As(err, new(*reachability.UnknownEndpointError)) {
		t.Fatalf("unknown endpoint: err = %v", err)
	}

	// Reachers by selection.
	who, err := m.Reachers(reachability.MustParseSelection("app=db"), reachability.AllConnections())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name, conns := range who {
		names = append(names, name+" "+conns.String())
	}
	if !slices.Equal(names, []string{"shop/web TCP 5432"}) {
		t.Fatalf("Reachers(app=db) = %v", names)
	}

	// Group by namespace.
	g, err := m.Group(reachability.GroupOptions{By: reachability.ByNamespace, EndpointsOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if gs := g.Groups(); len(gs) != 1 || gs[0].Name != "shop" || gs[0].Endpoints != 3 {
		t.Fatalf("Groups() = %+v", gs)
	}
	pairs := 0
	for p, err := range g.Pairs(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		pairs++
		if p.Pairs != 6 || !p.Partial.Contains(postgres) || p.Full.Contains(postgres) {
			t.Fatalf("shop -> shop: %+v", p)
		}
	}
	if pairs != 1 {
		t.Fatalf("%d pairs of groups, want 1", pairs)
	}

	// Follow the informers' events: the job becomes the database's
	// client (an update of the policy), the web pod is deleted, a pod is
	// added.
	snap2, err := snap.With(dbPolicy("job"), pod("job-2", "job", "10.0.0.4"))
	if err != nil {
		t.Fatal(err)
	}
	web, exists, err := stores[1].GetByKey("shop/web")
	if err != nil || !exists {
		t.Fatalf("the informer lost the web pod: %v", err)
	}
	ref, err := policy.RefOf(web)
	if err != nil {
		t.Fatal(err)
	}
	snap3, err := snap2.Without(ref)
	if err != nil {
		t.Fatal(err)
	}
	m3, err := m.Update(ctx, snap3)
	if err != nil {
		t.Fatal(err)
	}
	if st := m3.Stats(); !st.Updated || st.Full {
		t.Errorf("the update was not incremental: %+v", st)
	}
	if query(t, m3, "shop/job", "shop/db") != reachability.Allow || query(t, m3, "shop/job-2", "shop/db") != reachability.Allow {
		t.Fatal("the jobs should reach the database after the change")
	}
	if _, err := m3.Query("shop/web", "shop/db", postgres); err == nil {
		t.Fatal("the deleted web pod is still answered for")
	}
	full, err := reachability.Compute(ctx, snap3, reachability.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := reachability.Diff(m3, full); err != nil || !d.IsEmpty() {
		t.Fatalf("Update and Compute differ: %+v, %v", d, err)
	}

	// The old matrix still answers for the old snapshot.
	if query(t, m, "shop/web", "shop/db") != reachability.Allow {
		t.Fatal("Update changed the previous matrix")
	}
}

// TestLoaderContext: a Loader reads files and informer objects under one
// context; a cancelled context stops it.
func TestLoaderContext(t *testing.T) {
	stores := informerCache(t, pod("web", "web", "10.0.0.1"))
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddPath("../../testdata/scenarios/tenant-isolation")
	for _, o := range listed(stores) {
		if err := l.AddObject(o); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	snap, err := l.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(snap.Endpoints(), "shop/web") || !slices.Contains(snap.Namespaces(), "test01-web") {
		t.Fatalf("the snapshot lacks the object or the files: %v", snap.Endpoints())
	}
	cancel()
	if _, err := l.Snapshot(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Snapshot(cancelled) = %v", err)
	}
	if _, err := policy.Load(ctx, policy.LoadOptions{}, "../../testdata/scenarios/tenant-isolation"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Load(cancelled) = %v", err)
	}
}
