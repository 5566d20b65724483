package live_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/rest"

	"github.com/netreach/netreach/internal/bridge"
	"github.com/netreach/netreach/internal/fakeapi"
	ilive "github.com/netreach/netreach/internal/live"
	ipolicy "github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/live"
	"github.com/netreach/netreach/policy"
)

const shop = "../testdata/live/shop"

// diagnostics returns the diagnostics of a public snapshot as strings,
// with their codes.
func diagnostics(s *policy.Snapshot) []string {
	var out []string
	for _, d := range s.Diagnostics() {
		out = append(out, string(d.Code)+" "+d.String())
	}
	return out
}

// TestReadMatchesInternal: Read gives the snapshot the internal reader
// and loader give, with the notes of the read among its diagnostics, and
// writes the manifests it read.
func TestReadMatchesInternal(t *testing.T) {
	s := fakeapi.Start(t, shop)
	var manifests bytes.Buffer
	snap, err := live.Read(context.Background(), live.Options{Kubeconfig: s.Kubeconfig(t, "kind-shop", "other"), PageSize: 2, Manifests: &manifests})
	if err != nil {
		t.Fatal(err)
	}

	c, err := ilive.New(&rest.Config{Host: s.URL}, "kind-shop", ilive.Options{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	l := ipolicy.NewLoader(ipolicy.LoadOptions{})
	notes, err := c.Load(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	want, err := l.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var wantDiags []string
	for _, d := range append(notes, want.Diagnostics...) {
		wantDiags = append(wantDiags, string(d.Code)+" "+d.String())
	}
	if d := cmp.Diff(wantDiags, diagnostics(snap)); d != "" {
		t.Errorf("diagnostics differ from the internal read's (-want +got):\n%s", d)
	}
	got := bridge.Snapshot(snap)
	if len(got.Endpoints) != len(want.Endpoints) || len(got.NetworkPolicies) != len(want.NetworkPolicies) || len(got.Endpoints) == 0 {
		t.Errorf("Read: %d endpoints, %d network policies; want %d, %d", len(got.Endpoints), len(got.NetworkPolicies), len(want.Endpoints), len(want.NetworkPolicies))
	}

	// What was written loads back into the same objects.
	back, err := ipolicy.NewLoader(ipolicy.LoadOptions{}), error(nil)
	back.AddBytes("snapshot.yaml", manifests.Bytes())
	again, err := back.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Endpoints) != len(want.Endpoints) || len(again.NetworkPolicies) != len(want.NetworkPolicies) || len(again.Skipped) != len(want.Skipped) {
		t.Errorf("Manifests load back as %d endpoints, %d policies, %d skipped; want %d, %d, %d",
			len(again.Endpoints), len(again.NetworkPolicies), len(again.Skipped), len(want.Endpoints), len(want.NetworkPolicies), len(want.Skipped))
	}
}

// TestNotes: what the server does not give is a diagnostic of the
// snapshot with its code, never an error, and stays on the snapshots
// derived from it.
func TestNotes(t *testing.T) {
	s := fakeapi.Start(t, shop)
	snap, err := live.Read(context.Background(), live.Options{Kubeconfig: s.Kubeconfig(t, "kind-shop"), Namespaces: []string{"shop", "gone"}})
	if err != nil {
		t.Fatal(err)
	}
	codes := map[policy.Code][]string{}
	for _, d := range snap.Diagnostics() {
		codes[d.Code] = append(codes[d.Code], d.Value)
		if d.Code == "" {
			t.Errorf("diagnostic without a code: %v", d)
		}
	}
	for code, want := range map[policy.Code]string{
		live.CodeForbidden: "serviceaccounts",
		live.CodeNotServed: "policy.networking.k8s.io",
		live.CodeNotFound:  "gone",
	} {
		if !strings.Contains(strings.Join(codes[code], " "), want) {
			t.Errorf("diagnostics of code %s name %q; want %q among them", code, codes[code], want)
		}
	}
	if len(codes[live.CodeUnavailable]) != 0 || len(codes[live.CodeListExpired]) != 0 {
		t.Errorf("unexpected notes: %v", codes)
	}
	if len(snap.Endpoints()) != 3 {
		t.Errorf("Endpoints() = %v; want the 3 pods of shop", snap.Endpoints())
	}
	for _, ep := range snap.Endpoints() {
		if !strings.HasPrefix(ep, "shop/") {
			t.Errorf("endpoint %s read outside the namespaces asked for", ep)
		}
	}
	less, err := snap.Without(policy.ObjectRef{Kind: "NetworkPolicy", Namespace: "shop", Name: "default-deny"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range less.Diagnostics() {
		found = found || d.Code == live.CodeForbidden
	}
	if !found {
		t.Error("Snapshot.Without dropped the notes of the read")
	}
}

// TestNotesOfFailures: a group whose discovery fails and a paged list
// whose snapshot expires are notes with their codes, not errors.
func TestNotesOfFailures(t *testing.T) {
	s := fakeapi.Start(t, shop)
	s.Fail = map[string]int{"/apis/networking.k8s.io/v1": 503}
	s.ExpireAfter = 1
	snap, err := live.Read(context.Background(), live.Options{Kubeconfig: s.Kubeconfig(t, "kind-shop"), PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	codes := map[policy.Code]string{}
	for _, d := range snap.Diagnostics() {
		codes[d.Code] += d.Value + " "
	}
	if !strings.Contains(codes[live.CodeUnavailable], "networking.k8s.io") || codes[live.CodeListExpired] == "" {
		t.Errorf("notes by code = %q; want networking.k8s.io unavailable and an expired list", codes)
	}
}

// TestLoadOptions: Options.Load applies to what was read: over the
// document limit, the snapshot has a Limit error.
func TestLoadOptions(t *testing.T) {
	s := fakeapi.Start(t, shop)
	snap, err := live.Read(context.Background(), live.Options{Kubeconfig: s.Kubeconfig(t, "kind-shop"), Load: policy.LoadOptions{MaxDocuments: 3}})
	var ds policy.Diagnostics
	if !errors.As(err, &ds) || snap == nil {
		t.Fatalf("Read(MaxDocuments 3) = %v, %v; want the snapshot and its Diagnostics", snap, err)
	}
	if errs := ds.Errors(); len(errs) != 1 || errs[0].Code != policy.CodeLimit || len(snap.Namespaces()) > 3 {
		t.Errorf("errors %v, namespaces %v; want one Limit error and at most 3 objects", errs, snap.Namespaces())
	}
}

// TestReadFails: a cluster that cannot be found or read is an error,
// without a snapshot.
func TestReadFails(t *testing.T) {
	s := fakeapi.Start(t, shop)
	kubeconfig := s.Kubeconfig(t, "kind-shop")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	failing := fakeapi.Start(t, shop)
	failing.Fail = map[string]int{"/api/v1/pods": 500}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		opts live.Options
	}{
		{"no kubeconfig", context.Background(), live.Options{Kubeconfig: "does-not-exist"}},
		{"unknown context", context.Background(), live.Options{Kubeconfig: kubeconfig, Context: "nope"}},
		{"list fails", context.Background(), live.Options{Kubeconfig: failing.Kubeconfig(t, "x")}},
		{"cancelled", ctx, live.Options{Kubeconfig: kubeconfig}},
		{"nil context", nil, live.Options{Kubeconfig: kubeconfig}},
	} {
		snap, err := live.Read(tc.ctx, tc.opts)
		if err == nil || snap != nil {
			t.Errorf("%s: Read = %v, %v; want an error and no snapshot", tc.name, snap, err)
		}
		var ds policy.Diagnostics
		if errors.As(err, &ds) {
			t.Errorf("%s: Read error %v is a Diagnostics", tc.name, err)
		}
	}
}

// TestSameValues: the public constants are the internal ones.
func TestSameValues(t *testing.T) {
	if live.DefaultPageSize != ilive.DefaultPageSize {
		t.Errorf("DefaultPageSize = %d, want %d", live.DefaultPageSize, ilive.DefaultPageSize)
	}
	for _, c := range [][2]policy.Code{
		{live.CodeNotServed, policy.Code(ipolicy.CodeNotServed)}, {live.CodeForbidden, policy.Code(ipolicy.CodeForbidden)},
		{live.CodeUnavailable, policy.Code(ipolicy.CodeUnavailable)}, {live.CodeListExpired, policy.Code(ipolicy.CodeListExpired)},
		{live.CodeNotFound, policy.Code(ipolicy.CodeNotFound)},
	} {
		if c[0] != c[1] || c[0].Describe() == "" {
			t.Errorf("code %s: internal %s, description %q", c[0], c[1], c[0].Describe())
		}
	}
}
