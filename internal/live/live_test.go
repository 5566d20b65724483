package live_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/rest"

	"github.com/netreach/netreach/internal/fakeapi"
	"github.com/netreach/netreach/internal/live"
	"github.com/netreach/netreach/internal/policy"
)

const shop = "../../testdata/live/shop"

// read reads the fake server with opts and returns the sources of the
// objects, the objects and the notes as strings.
func read(t *testing.T, s *fakeapi.Server, opts live.Options) ([]string, []live.Object, []string, error) {
	t.Helper()
	c, err := live.New(&rest.Config{Host: s.URL}, "kind-shop", opts)
	if err != nil {
		t.Fatal(err)
	}
	var sources []string
	var objs []live.Object
	notes, err := c.Read(context.Background(), func(o live.Object) error {
		sources = append(sources, o.Source(c.Name()))
		objs = append(objs, o)
		return nil
	})
	var ns []string
	for _, n := range notes {
		ns = append(ns, n.String())
	}
	return sources, objs, ns, err
}

func TestReadShop(t *testing.T) {
	s := fakeapi.Start(t, shop)
	sources, objs, notes, err := read(t, s, live.Options{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"kind-shop:namespaces/db", "kind-shop:namespaces/monitoring", "kind-shop:namespaces/shop",
		"kind-shop:nodes/worker-1",
		"kind-shop:pods/db/pg-0", "kind-shop:pods/monitoring/prom", "kind-shop:pods/shop/api",
		"kind-shop:pods/shop/web-7d9f-abcde", "kind-shop:pods/shop/web-7d9f-fghij",
		"kind-shop:services/shop/web",
		"kind-shop:deployments.apps/shop/web", "kind-shop:replicasets.apps/shop/web-7d9f", "kind-shop:statefulsets.apps/db/pg",
		"kind-shop:endpointslices.discovery.k8s.io/shop/web-x7k2p",
		"kind-shop:networkpolicies.networking.k8s.io/db/allow-api", "kind-shop:networkpolicies.networking.k8s.io/shop/default-deny",
		"kind-shop:adminnetworkpolicies.policy.networking.k8s.io/allow-monitoring",
		"kind-shop:ciliumnetworkpolicies.cilium.io/shop/l7-web",
	}
	if d := cmp.Diff(want, sources); d != "" {
		t.Errorf("Read sources (-want +got):\n%s", d)
	}
	wantNotes := []string{
		"kind-shop: info: API group policy.networking.k8s.io does not serve ClusterNetworkPolicy in a version netreach reads",
		"kind-shop: info: API groups not served (their CRDs are not installed), so none of their objects: crd.projectcalico.org, gateway.networking.k8s.io, kyverno.io, projectcalico.org, route.openshift.io, security.istio.io",
		`kind-shop: warning: ServiceAccount: cannot list serviceaccounts: serviceaccounts is forbidden: User "system:serviceaccount:ci:netreach" cannot list resource "serviceaccounts" in API group "" at the cluster scope; the answer leaves them out (docs/live.md lists the permissions needed)`,
		"kind-shop: info: read 18 objects of 19 resources",
	}
	if d := cmp.Diff(wantNotes, notes); d != "" {
		t.Errorf("Read notes (-want +got):\n%s", d)
	}
	for _, o := range objs {
		m := string(o.Manifest)
		if !strings.Contains("\n"+m, "\napiVersion: "+o.Resource.APIVersion()+"\n") || !strings.Contains(m, "\nkind: "+o.Resource.Kind+"\n") {
			t.Errorf("%s: manifest does not start with its apiVersion and kind:\n%s", o.Source("c"), m)
		}
		if strings.Contains(m, "managedFields") {
			t.Errorf("%s: managedFields kept:\n%s", o.Source("c"), m)
		}
	}
	// The pods come in three pages of at most two.
	var pods []string
	for _, r := range s.Requests() {
		if strings.HasPrefix(r, "/api/v1/pods?") {
			pods = append(pods, r)
		}
	}
	wantPods := []string{
		"/api/v1/pods?limit=2&timeout=32s",
		"/api/v1/pods?continue=page-from-2&limit=2&timeout=32s",
		"/api/v1/pods?continue=page-from-4&limit=2&timeout=32s",
	}
	if d := cmp.Diff(wantPods, pods); d != "" {
		t.Errorf("pod list requests (-want +got):\n%s", d)
	}
}

func TestReadKeepsStatus(t *testing.T) {
	s := fakeapi.Start(t, shop)
	_, objs, _, err := read(t, s, live.Options{})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(objs, func(o live.Object) bool { return o.Resource.Name == "pods" && o.Name == "api" })
	if i < 0 {
		t.Fatal("pod shop/api not read")
	}
	for _, want := range []string{"\n  podIP: 10.244.1.9\n", "\n  hostIP: 172.18.0.3\n", "\n  phase: Running\n", "\n  namespace: shop\n"} {
		if !strings.Contains(string(objs[i].Manifest), want) {
			t.Errorf("pod shop/api: manifest lacks %q:\n%s", want, objs[i].Manifest)
		}
	}
}

func TestReadNamespaces(t *testing.T) {
	s := fakeapi.Start(t, shop)
	sources, _, notes, err := read(t, s, live.Options{Namespaces: []string{"shop", "gone"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range sources {
		rest := strings.TrimPrefix(src, "kind-shop:")
		if parts := strings.Split(rest, "/"); len(parts) == 3 && parts[1] != "shop" {
			t.Errorf("Read with -n shop read %s", src)
		}
	}
	if !slices.Contains(sources, "kind-shop:namespaces/shop") || slices.Contains(sources, "kind-shop:namespaces/db") {
		t.Errorf("Read with -n shop read namespaces %v, want shop only", sources)
	}
	if !slices.Contains(sources, "kind-shop:adminnetworkpolicies.policy.networking.k8s.io/allow-monitoring") {
		t.Errorf("Read with -n shop left out the cluster-scoped AdminNetworkPolicy")
	}
	if !slices.Contains(notes, "kind-shop: warning: Namespace: namespaces gone does not exist") {
		t.Errorf("Read with -n gone: notes %q lack the missing namespace", notes)
	}
	for _, r := range s.Requests() {
		if strings.HasPrefix(r, "/api/v1/pods?") || strings.HasPrefix(r, "/api/v1/namespaces?") {
			t.Errorf("Read with -n shop listed %s cluster-wide", r)
		}
	}
	if !slices.Contains(s.Requests(), "/api/v1/namespaces/shop/pods?limit=500&timeout=32s") {
		t.Errorf("Read with -n shop did not list the pods of shop: %q", s.Requests())
	}
}

func TestReadExpiredContinue(t *testing.T) {
	s := fakeapi.Start(t, shop)
	s.ExpireAfter = 1
	sources, _, notes, err := read(t, s, live.Options{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	var pods []string
	for _, src := range sources {
		if strings.HasPrefix(src, "kind-shop:pods/") {
			pods = append(pods, src)
		}
	}
	if len(pods) != 5 {
		t.Errorf("Read after an expired continue token read pods %q, want 5", pods)
	}
	if !slices.ContainsFunc(notes, func(n string) bool {
		return strings.HasPrefix(n, "kind-shop: warning: Pod: the list of pods took longer than the server keeps a snapshot")
	}) {
		t.Errorf("Read after an expired continue token: notes %q lack the warning", notes)
	}
}

func TestReadFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail map[string]int
		dir  string
		want string
	}{
		{name: "no server API", dir: "empty", want: "cluster kind-shop: discovery: "},
		{name: "list error", fail: map[string]int{"/apis/networking.k8s.io/v1/networkpolicies": 500},
			want: "cluster kind-shop: list networkpolicies.networking.k8s.io: injected failure"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := shop
			if tc.dir == "empty" {
				dir = t.TempDir()
			}
			s := fakeapi.Start(t, dir)
			s.Fail = tc.fail
			_, _, _, err := read(t, s, live.Options{})
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("Read = %v, want an error starting %q", err, tc.want)
			}
		})
	}
}

func TestReadProgress(t *testing.T) {
	s := fakeapi.Start(t, shop)
	var got []string
	_, _, _, err := read(t, s, live.Options{PageSize: 2, Progress: func(resource string, done, total int) {
		if resource == "pods" {
			got = append(got, strings.Repeat("#", done)+strings.Repeat(".", total-done))
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"##...", "####.", "#####"}; !slices.Equal(got, want) {
		t.Errorf("Progress of pods = %q, want %q", got, want)
	}
}

// TestSnapshotRoundTrip checks that loading the cluster and loading what
// the Writer wrote give the same endpoints, policies and diagnostics
// (whose locations differ: the file, not the object reference).
func TestSnapshotRoundTrip(t *testing.T) {
	s := fakeapi.Start(t, shop)
	c, err := live.New(&rest.Config{Host: s.URL}, "kind-shop", live.Options{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	l := policy.NewLoader(policy.LoadOptions{})
	if _, err := c.Load(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	fromCluster, err := l.Snapshot()
	if err != nil {
		t.Fatal(err)
	}

	dir := filepath.Join(t.TempDir(), "snap")
	dw, err := live.NewDirWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	var stream bytes.Buffer
	sw := live.NewStreamWriter(&stream)
	if _, err := c.Read(context.Background(), func(o live.Object) error {
		if err := dw.Write(o); err != nil {
			return err
		}
		return sw.Write(o)
	}); err != nil {
		t.Fatal(err)
	}
	if err := dw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}
	if dw.Objects() != 18 || sw.Objects() != 18 {
		t.Errorf("Writers wrote %d and %d objects, want 18", dw.Objects(), sw.Objects())
	}
	file := filepath.Join(t.TempDir(), "snap.yaml")
	if err := os.WriteFile(file, stream.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	want := summary(fromCluster)
	if len(want.Endpoints) != 5 {
		t.Errorf("cluster: %d endpoints, want the 5 pods: %q", len(want.Endpoints), want.Endpoints)
	}
	for _, p := range []string{dir, file} {
		snap, err := policy.Load(policy.LoadOptions{}, p)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, summary(snap)); d != "" {
			t.Errorf("Load(%s) differs from the cluster (-cluster +snapshot):\n%s", p, d)
		}
	}
}

type snapSummary struct {
	Endpoints, Policies, Admin, Services, Nodes, Skipped, Diagnostics []string
}

func summary(s *policy.Snapshot) snapSummary {
	var out snapSummary
	for _, e := range s.Endpoints {
		out.Endpoints = append(out.Endpoints, e.ID()+" "+e.Workload+" "+strings.Join(mapStrings(e.Labels), ",")+" "+addrs(e))
	}
	for _, p := range s.NetworkPolicies {
		out.Policies = append(out.Policies, p.Namespace+"/"+p.Name)
	}
	for _, p := range s.Admin.Policies {
		out.Admin = append(out.Admin, p.Name)
	}
	for _, sv := range s.Services {
		out.Services = append(out.Services, sv.Namespace+"/"+sv.Name)
	}
	for _, n := range s.Nodes {
		out.Nodes = append(out.Nodes, n.Name)
	}
	for _, sk := range s.Skipped {
		out.Skipped = append(out.Skipped, sk.Kind+" "+sk.Namespace+"/"+sk.Name+": "+sk.Reason)
	}
	for _, d := range s.Diagnostics {
		d.Location = policy.Location{}
		out.Diagnostics = append(out.Diagnostics, d.String())
	}
	return out
}

func mapStrings(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

func addrs(e *policy.Endpoint) string {
	var out []string
	for _, a := range e.IPs {
		out = append(out, a.String())
	}
	return strings.Join(out, ",")
}
