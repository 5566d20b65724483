package policy_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/randcluster"
)

// objectsOf splits a YAML stream into objects as generic maps, which
// AddObject takes like any value that marshals to an object.
func objectsOf(t *testing.T, data []byte) []any {
	t.Helper()
	var out []any
	for _, doc := range bytes.Split(data, []byte("\n---\n")) {
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			t.Fatal(err)
		}
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

// relabelled returns a copy of a generic object with one more label.
func relabelled(t *testing.T, o any, r *rand.Rand) any {
	t.Helper()
	j, _ := json.Marshal(o)
	var m map[string]any
	if err := json.Unmarshal(j, &m); err != nil {
		t.Fatal(err)
	}
	md, _ := m["metadata"].(map[string]any)
	labels, _ := md["labels"].(map[string]any)
	if labels == nil {
		labels = map[string]any{}
	}
	labels[[]string{"app", "tier", "team"}[r.IntN(3)]] = []string{"a", "b", "c"}[r.IntN(3)]
	md["labels"] = labels
	return m
}

// diagLinesOf returns the diagnostics as sorted lines.
func diagLinesOf(s *policy.Snapshot) []string {
	var out []string
	for _, d := range s.Diagnostics {
		out = append(out, d.String())
	}
	slices.Sort(out)
	return out
}

// TestWithWithoutEqualFreshLoad applies random sequences of With and
// Without to snapshots of random clusters and compares each result with a
// fresh load of the resulting objects: objects and diagnostics.
func TestWithWithoutEqualFreshLoad(t *testing.T) {
	t.Parallel()
	for seed := uint64(0); seed < 25; seed++ {
		r := rand.New(rand.NewPCG(seed, 0x3e1))
		data := randcluster.Generate(r, randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(6), Policies: 1 + r.IntN(5), Admin: seed%2 == 0, Calico: seed%3 == 0})
		all := objectsOf(t, data)
		type entry struct {
			key string
			obj any
		}
		var have []entry // the objects the snapshot should hold, in order
		keyOf := func(o any) string {
			ref, err := policy.RefOf(o)
			if err != nil {
				t.Fatal(err)
			}
			return ref.Key()
		}
		put := func(o any) {
			k := keyOf(o)
			for i := range have {
				if have[i].key == k {
					have[i].obj = o
					return
				}
			}
			have = append(have, entry{k, o})
		}
		half := len(all) / 2
		for _, o := range all[:half] {
			put(o)
		}
		snap, _ := policy.FromObjects(all[:half]...)
		rest := all[half:]
		var fixes []any // valid versions of objects replaced by broken ones
		for step := 0; step < 8; step++ {
			var what string
			switch op := r.IntN(5); {
			case op == 3 && len(have) > 0:
				i := r.IntN(len(have))
				fixes = append(fixes, have[i].obj)
				o := randcluster.Broken(have[i].obj)
				put(o)
				snap, _ = snap.With(o)
				what = "With a broken " + have[i].key
			case op == 4 && len(fixes) > 0:
				o := fixes[r.IntN(len(fixes))]
				put(o)
				snap, _ = snap.With(o)
				what = "With a fixed " + keyOf(o)
			case op == 0 && len(rest) > 0:
				n := 1 + r.IntN(len(rest))
				add := rest[:n]
				rest = rest[n:]
				for _, o := range add {
					put(o)
				}
				snap, _ = snap.With(add...)
				what = fmt.Sprintf("With %d new", n)
			case op == 1 && len(have) > 0:
				i := r.IntN(len(have))
				o := relabelled(t, have[i].obj, r)
				put(o)
				snap, _ = snap.With(o)
				what = "With a relabelled " + have[i].key
			case len(have) > 0:
				i := r.IntN(len(have))
				ref, err := policy.RefOf(have[i].obj)
				if err != nil {
					t.Fatal(err)
				}
				var werr error
				snap, werr = snap.Without(ref)
				if snap == nil {
					t.Fatalf("seed %d: Without(%v): %v", seed, ref, werr)
				}
				what = "Without " + have[i].key
				have = slices.Delete(have, i, i+1)
			default:
				continue
			}
			if snap == nil {
				t.Fatalf("seed %d step %d (%s): no snapshot", seed, step, what)
			}
			var objs []any
			for _, e := range have {
				objs = append(objs, e.obj)
			}
			fresh, _ := policy.FromObjects(objs...)
			if d := sourcelessDiff(fresh, snap); d != "" {
				t.Fatalf("seed %d step %d (%s): objects differ from a fresh load:\n%s", seed, step, what, d)
			}
			if w, g := diagLinesOf(fresh), diagLinesOf(snap); !slices.Equal(w, g) {
				t.Fatalf("seed %d step %d (%s): diagnostics differ from a fresh load:\nwant %q\ngot  %q", seed, step, what, w, g)
			}
		}
	}
}

// TestWithFixesAnInvalidPolicy: replacing an invalid policy with a valid
// one leaves no error and no stale warning behind, and Without of an
// object that is not there is an *UnknownObjectError.
func TestWithFixesAnInvalidPolicy(t *testing.T) {
	t.Parallel()
	np := func(cidr, unknown string) any {
		spec := map[string]any{"podSelector": map[string]any{}, "ingress": []any{map[string]any{"from": []any{map[string]any{"ipBlock": map[string]any{"cidr": cidr}}}}}}
		if unknown != "" {
			spec[unknown] = 1
		}
		return map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
			"metadata": map[string]any{"name": "np", "namespace": "prod"}, "spec": spec}
	}
	bad, err := policy.FromObjects(np("10.0.0.0/33", "bogus"))
	if err == nil || !bad.Diagnostics.HasErrors() || len(bad.Diagnostics.Warnings()) == 0 {
		t.Fatalf("an invalid CIDR and an unknown field: err = %v, diagnostics %v", err, bad.Diagnostics)
	}
	for i := 0; i < 3; i++ {
		if _, err := bad.With(np("10.0.0.0/33", "bogus")); err == nil {
			t.Fatal("With(the same invalid policy) = no error")
		}
	}
	good, err := bad.With(np("10.0.0.0/8", ""))
	if err != nil || good.Diagnostics.HasErrors() {
		t.Fatalf("With(a valid policy) = %v, diagnostics %v", err, good.Diagnostics)
	}
	if len(good.Diagnostics) != 1 || !strings.Contains(good.Diagnostics[0].Msg, "not declared") {
		t.Errorf("With(a valid policy) diagnostics = %v, want only the undeclared namespace", good.Diagnostics)
	}
	if len(bad.Diagnostics.Errors()) == 0 {
		t.Errorf("With modified the snapshot it was called on")
	}
	_, err = good.Without(policy.ObjectRef{Kind: "NetworkPolicy", Namespace: "prod", Name: "nope"})
	var unknown *policy.UnknownObjectError
	if !errors.As(err, &unknown) || unknown.Ref.Name != "nope" {
		t.Errorf("Without(unknown) error = %v, want *UnknownObjectError", err)
	}
	if strings.Contains(err.Error(), "--") {
		t.Errorf("Without error %q names a command-line flag", err)
	}
	ref, err := policy.RefOf(&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "np", Namespace: "prod"}})
	if err != nil {
		t.Fatal(err)
	}
	empty, err := good.Without(ref)
	if err != nil || len(empty.NetworkPolicies) != 0 || len(empty.Diagnostics) != 0 {
		t.Errorf("Without(%v) = %v, %d policies, diagnostics %v; want none left", ref, err, len(empty.NetworkPolicies), empty.Diagnostics)
	}
	var zero policy.Snapshot
	if _, err := zero.With(); !errors.As(err, new(*policy.InvalidInputError)) {
		t.Errorf("zero Snapshot.With() error = %v, want *InvalidInputError", err)
	}
}

// TestWithRejectedObject: an object the loader rejects whole (here a
// NetworkPolicy whose podSelector is invalid) owns its error like any
// other object: a valid version replaces it and its error, it replaces an
// earlier valid version, and Without removes it. Each result equals a
// fresh load of its objects.
func TestWithRejectedObject(t *testing.T) {
	t.Parallel()
	np := func(key, apiVersion string) map[string]any {
		spec := map[string]any{"podSelector": map[string]any{"matchLabels": map[string]any{key: "x"}}}
		if apiVersion != "networking.k8s.io/v1" {
			spec = map[string]any{"selector": key + " == 'x'"}
		}
		return map[string]any{"apiVersion": apiVersion, "kind": "NetworkPolicy",
			"metadata": map[string]any{"name": "np", "namespace": "prod"}, "spec": spec}
	}
	ns := map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "prod"}}
	for _, group := range []string{"networking.k8s.io/v1", policy.CalicoGroup + "/v3", "crd." + policy.CalicoGroup + "/v1"} {
		good, bad := np("app", group), np("bad key!", group)
		check := func(what string, s *policy.Snapshot, err error, objs ...any) {
			t.Helper()
			if s == nil {
				t.Fatalf("%s %s: no snapshot: %v", group, what, err)
			}
			fresh, ferr := policy.FromObjects(objs...)
			if (err == nil) != (ferr == nil) || s.Diagnostics.HasErrors() != fresh.Diagnostics.HasErrors() {
				t.Errorf("%s %s: error %v, fresh load %v", group, what, err, ferr)
			}
			if w, g := diagLinesOf(fresh), diagLinesOf(s); !slices.Equal(w, g) {
				t.Errorf("%s %s: diagnostics differ from a fresh load:\nwant %q\ngot  %q", group, what, w, g)
			}
			if d := sourcelessDiff(fresh, s); d != "" {
				t.Errorf("%s %s: objects differ from a fresh load:\n%s", group, what, d)
			}
			if !slices.Equal(s.ObjectRefs(), fresh.ObjectRefs()) {
				t.Errorf("%s %s: refs %v, fresh load %v", group, what, s.ObjectRefs(), fresh.ObjectRefs())
			}
		}
		s0, err := policy.FromObjects(ns, good)
		if err != nil || len(s0.NetworkPolicies)+len(s0.Calico.Policies) != 1 {
			t.Fatalf("%s: valid policy: %v, %d policies", group, err, len(s0.NetworkPolicies)+len(s0.Calico.Policies))
		}
		s1, err := s0.With(bad)
		check("With(invalid)", s1, err, ns, bad)
		if err == nil || len(s1.NetworkPolicies)+len(s1.Calico.Policies) != 0 {
			t.Errorf("%s: With(invalid) = %v, %d policies; want an error and the valid version gone", group, err, len(s1.NetworkPolicies)+len(s1.Calico.Policies))
		}
		s2, err := s1.With(good)
		check("With(invalid).With(valid)", s2, err, ns, good)
		if err != nil || s2.Diagnostics.HasErrors() {
			t.Errorf("%s: fixed policy: %v, diagnostics %v", group, err, s2.Diagnostics)
		}
		ref, err := policy.RefOf(bad)
		if err != nil {
			t.Fatal(err)
		}
		if ref2, _ := policy.RefOf(good); ref != ref2 {
			t.Errorf("%s: RefOf(invalid) = %v, RefOf(valid) = %v", group, ref, ref2)
		}
		s3, err := s1.Without(ref)
		check("Without(invalid)", s3, err, ns)
		if err != nil || len(s3.Diagnostics) != 0 {
			t.Errorf("%s: Without(invalid) = %v, diagnostics %v", group, err, s3.Diagnostics)
		}
		s4, err := policy.FromObjects(ns, bad)
		check("FromObjects(invalid)", s4, err, ns, bad)
		s5, err := s4.With(good)
		check("FromObjects(invalid).With(valid)", s5, err, ns, good)
	}
}

// TestRejectedDuplicateInOneLoad: in one load, a rejected object neither
// replaces an earlier definition of its key nor counts as a duplicate of
// a later one, as before rejected objects were recorded: the CLI reports
// the same.
func TestRejectedDuplicateInOneLoad(t *testing.T) {
	t.Parallel()
	good := "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: default}\nspec: {podSelector: {}}\n"
	bad := "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: default}\nspec: {podSelector: {matchLabels: {'bad key!': x}}}\n"
	for _, in := range []string{good + "---\n" + bad, bad + "---\n" + good, bad + "---\n" + bad} {
		l := policy.NewLoader(policy.LoadOptions{})
		l.AddBytes("in.yaml", []byte(in))
		s, err := l.Snapshot()
		if err == nil {
			t.Fatalf("%q: no error", in)
		}
		want := 1
		if in == bad+"---\n"+bad {
			want = 0
		}
		if len(s.NetworkPolicies) != want {
			t.Errorf("%q: %d policies, want %d", in, len(s.NetworkPolicies), want)
		}
		for _, d := range s.Diagnostics {
			if d.Code == policy.CodeDuplicateObject {
				t.Errorf("%q: %v", in, d)
			}
		}
		if n := len(s.Diagnostics.Errors()); n != 2-want {
			t.Errorf("%q: %d errors, want %d: %v", in, n, 2-want, s.Diagnostics)
		}
		// With starts from what the load kept: replacing the key clears
		// the errors of the object it replaces only.
		fixed, _ := s.With(map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
			"metadata": map[string]any{"name": "np", "namespace": "default"}, "spec": map[string]any{"podSelector": map[string]any{}}})
		if fixed == nil || len(fixed.NetworkPolicies) != 1 {
			t.Errorf("%q: With(valid) lost the policy", in)
		}
	}
}
