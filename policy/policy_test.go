package policy_test

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ipolicy "github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/randcluster"
	"github.com/netreach/netreach/policy"
)

func pod(ns, name, app, ip string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": app}},
		Status: corev1.PodStatus{PodIP: ip, Phase: corev1.PodRunning}}
}

func isInvalid(err error) bool { var e *policy.InvalidInputError; return errors.As(err, &e) }

// TestNilAndZeroNeverPanic: nil and zero values give errors or empty
// answers from every call.
func TestNilAndZeroNeverPanic(t *testing.T) {
	ctx := context.Background()
	for name, s := range map[string]*policy.Snapshot{"nil": nil, "zero": {}} {
		if err := s.Check(); !isInvalid(err) {
			t.Errorf("%s Check() = %v", name, err)
		}
		if _, err := s.With(pod("a", "b", "c", "10.0.0.1")); !isInvalid(err) {
			t.Errorf("%s With() = %v", name, err)
		}
		if _, err := s.Without(policy.ObjectRef{Kind: "Pod", Namespace: "a", Name: "b"}); !isInvalid(err) {
			t.Errorf("%s Without() = %v", name, err)
		}
		if s.Diagnostics() != nil || s.Skipped() != nil || s.Objects() != nil || s.Namespaces() != nil || s.Endpoints() != nil {
			t.Errorf("%s accessors are not empty", name)
		}
	}
	var nl *policy.Loader
	nl.AddPath("x")
	nl.AddBytes("x", nil)
	nl.AddReader("x", nil)
	if err := nl.AddObject(pod("a", "b", "c", "")); !isInvalid(err) {
		t.Errorf("nil Loader AddObject = %v", err)
	}
	if _, err := nl.Snapshot(ctx); !isInvalid(err) {
		t.Errorf("nil Loader Snapshot = %v", err)
	}
	var l policy.Loader // the zero Loader works
	if err := l.AddObject((*corev1.Pod)(nil)); !isInvalid(err) {
		t.Errorf("AddObject(nil pointer) = %v", err)
	}
	if err := l.AddObject(nil); !isInvalid(err) {
		t.Errorf("AddObject(nil) = %v", err)
	}
	if err := l.AddObject(42); err != nil {
		t.Fatal(err) // refused by Snapshot, which reads the objects
	}
	if s, err := l.Snapshot(ctx); !isInvalid(err) || s != nil {
		t.Errorf("Snapshot with a non-object = %v, %v", s, err)
	}
	if _, err := policy.FromObjects(nil); !isInvalid(err) {
		t.Errorf("FromObjects(nil) = %v", err)
	}
	//lint:ignore SA1012 a nil context is the point
	if _, err := policy.Load(nil, policy.LoadOptions{}); !isInvalid(err) {
		t.Errorf("Load(nil ctx) = %v", err)
	}
	if _, err := policy.RefOf(nil); !isInvalid(err) {
		t.Errorf("RefOf(nil) = %v", err)
	}
}

// TestTypedObjects: objects without TypeMeta (an informer's cache) load,
// are not modified, and name themselves with RefOf.
func TestTypedObjects(t *testing.T) {
	objs := []any{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}},
		pod("shop", "web", "web", "10.0.0.1"), pod("shop", "db", "db", "10.0.0.2"),
		&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "deny", Namespace: "shop"}}}
	before, _ := json.Marshal(objs)
	s, err := policy.FromObjects(objs...)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := json.Marshal(objs); !bytes.Equal(before, after) {
		t.Fatal("FromObjects modified its objects")
	}
	if got, want := s.Endpoints(), []string{"shop/db", "shop/web"}; !slices.Equal(got, want) {
		t.Errorf("Endpoints() = %v, want %v", got, want)
	}
	if got := s.Namespaces(); !slices.Equal(got, []string{"shop"}) {
		t.Errorf("Namespaces() = %v", got)
	}
	ref, err := policy.RefOf(objs[1])
	if err != nil || ref != (policy.ObjectRef{Kind: "Pod", Namespace: "shop", Name: "web"}) {
		t.Fatalf("RefOf(pod) = %v, %v", ref, err)
	}
	if !slices.Contains(s.Objects(), ref) {
		t.Errorf("Objects() = %v lacks %v", s.Objects(), ref)
	}
	s2, err := s.Without(ref)
	if err != nil || slices.Contains(s2.Endpoints(), "shop/web") || !slices.Contains(s.Endpoints(), "shop/web") {
		t.Fatalf("Without(web): %v, %v (the original must keep it)", s2.Endpoints(), err)
	}
	var unknown *policy.UnknownObjectError
	if _, err := s2.Without(ref); !errors.As(err, &unknown) || unknown.Ref != ref {
		t.Errorf("Without twice = %v", err)
	}
	if _, err := s.Without(policy.ObjectRef{}); !isInvalid(err) {
		t.Errorf("Without(zero ref) = %v", err)
	}

	// An invalid policy is a Diagnostics error with a code, located by
	// the object; replacing it with a valid one clears the error.
	bad := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "deny", Namespace: "shop"},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "-bad value-"}}}}
	s3, err := s.With(bad)
	var ds policy.Diagnostics
	if !errors.As(err, &ds) || !ds.HasErrors() || s3 == nil || !s3.Diagnostics().HasErrors() {
		t.Fatalf("With(invalid) = %v", err)
	}
	e := ds.Errors()[0]
	if e.Code != policy.CodeInvalid || e.Object != (policy.ObjectRef{Kind: "NetworkPolicy", Namespace: "shop", Name: "deny"}) || e.Field == "" {
		t.Errorf("diagnostic = %#v", e)
	}
	if s3.Diagnostics().Errors()[0].Code != policy.CodeInvalid {
		t.Errorf("the snapshot's diagnostics lack the error")
	}
	// The invalid policy is rejected whole: it still replaces the valid
	// one and owns its error, so fixing it or removing it clears it.
	fixed, err := s3.With(objs[3])
	if err != nil || fixed.Diagnostics().HasErrors() {
		t.Errorf("invalid then fixed: %v, %v", err, fixed.Diagnostics())
	}
	denyRef, _ := policy.RefOf(bad)
	if !slices.Contains(s3.Objects(), denyRef) {
		t.Errorf("Objects() = %v lacks the rejected %v", s3.Objects(), denyRef)
	}
	gone, err := s3.Without(denyRef)
	if err != nil || gone.Diagnostics().HasErrors() || slices.Contains(gone.Objects(), denyRef) {
		t.Errorf("Without(the rejected policy) = %v, %v", err, gone.Diagnostics())
	}

	// A policy with a warning (an unknown field); replacing it with a
	// clean one drops the warning, as a fresh load would.
	odd := map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
		"metadata": map[string]any{"name": "deny", "namespace": "shop"},
		"spec":     map[string]any{"podSelector": map[string]any{}, "bogus": 1}}
	s5, err := s.With(odd)
	if err != nil || len(s5.Diagnostics().Warnings()) == 0 || s5.Diagnostics().Warnings()[0].Code != policy.CodeUnknownField {
		t.Fatalf("With(unknown field) = %v, %v", s5.Diagnostics(), err)
	}
	s6, err := s5.With(objs[3])
	if err != nil || len(s6.Diagnostics().Warnings()) != len(s.Diagnostics().Warnings()) {
		t.Errorf("replacing the odd policy: %v, %v", err, s6.Diagnostics())
	}
}

// TestLoadersAgree: Load, a Loader and FromObjects give the same
// snapshot for the same objects; a cancelled context stops them.
func TestLoadersAgree(t *testing.T) {
	ctx := context.Background()
	data := randcluster.Generate(rand.New(rand.NewPCG(1, 2)), randcluster.Config{Pods: 6, Policies: 4})
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes("cluster.yaml", data)
	a, err := l.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := policy.FromObjects(objectsOf(t, data)...)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Objects(), b.Objects()) || !slices.Equal(a.Endpoints(), b.Endpoints()) || len(a.Endpoints()) == 0 {
		t.Errorf("Loader and FromObjects differ:\n%v\n%v", a.Objects(), b.Objects())
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if s, err := l.Snapshot(cancelled); !errors.Is(err, context.Canceled) || s != nil {
		t.Errorf("Snapshot(cancelled) = %v, %v", s, err)
	}
	if _, err := policy.Load(cancelled, policy.LoadOptions{}, "../testdata/scenarios/tenant-isolation"); !errors.Is(err, context.Canceled) {
		t.Errorf("Load(cancelled) = %v", err)
	}
	s, err := policy.Load(ctx, policy.LoadOptions{}, "../testdata/scenarios/tenant-isolation")
	if err != nil || len(s.Endpoints()) == 0 {
		t.Fatalf("Load = %v endpoints, %v", len(s.Endpoints()), err)
	}
	if d := s.Diagnostics(); len(d) > 0 && !d[0].Location.IsValid() && d[0].Object == (policy.ObjectRef{}) {
		t.Errorf("a diagnostic of a file is neither located nor named: %v", d[0])
	}
}

func objectsOf(t *testing.T, data []byte) []any {
	t.Helper()
	objs, err := randcluster.Objects(data)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// TestWithWithoutEqualFreshLoad applies random sequences of With and
// Without through the public API and compares each result with a fresh
// load of the resulting objects: objects, endpoints and diagnostics.
func TestWithWithoutEqualFreshLoad(t *testing.T) {
	t.Parallel()
	for seed := uint64(0); seed < 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 77))
		data := randcluster.Generate(r, randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(6), Policies: 1 + r.IntN(5), Admin: seed%2 == 0, Calico: seed%3 == 0})
		all := objectsOf(t, data)
		have := map[policy.ObjectRef]any{}
		var order []policy.ObjectRef
		put := func(o any) {
			ref, err := policy.RefOf(o)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := have[ref]; !ok {
				order = append(order, ref)
			}
			have[ref] = o
		}
		half := all[:len(all)/2]
		for _, o := range half {
			put(o)
		}
		s, _ := policy.FromObjects(half...)
		for step := range 6 {
			var err error
			if r.IntN(2) == 0 || len(order) == 0 {
				o := all[r.IntN(len(all))]
				if r.IntN(4) == 0 {
					o = randcluster.Broken(o) // rejected whole, until a valid version replaces it
				}
				put(o)
				s, err = s.With(o)
			} else {
				ref := order[r.IntN(len(order))]
				delete(have, ref)
				order = slices.DeleteFunc(order, func(x policy.ObjectRef) bool { return x == ref })
				s, err = s.Without(ref)
			}
			if s == nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
			var objs []any
			for _, ref := range order {
				objs = append(objs, have[ref])
			}
			fresh, _ := policy.FromObjects(objs...)
			if !slices.Equal(s.Objects(), fresh.Objects()) || !slices.Equal(s.Endpoints(), fresh.Endpoints()) || !slices.Equal(s.Namespaces(), fresh.Namespaces()) {
				t.Fatalf("seed %d step %d: objects differ from a fresh load:\n%v\n%v", seed, step, s.Objects(), fresh.Objects())
			}
			if got, want := diagLines(s), diagLines(fresh); !slices.Equal(got, want) {
				t.Fatalf("seed %d step %d: diagnostics differ from a fresh load:\n%v\n%v", seed, step, got, want)
			}
		}
	}
}

func diagLines(s *policy.Snapshot) []string {
	var out []string
	for _, d := range s.Diagnostics() {
		out = append(out, d.String())
	}
	slices.Sort(out)
	return out
}

// TestObjectRefText: ParseObjectRef reads what String writes.
func TestObjectRefText(t *testing.T) {
	for _, r := range []policy.ObjectRef{
		{Kind: "Pod", Namespace: "shop", Name: "web"},
		{Kind: "Namespace", Name: "shop"},
		{Group: "projectcalico.org", Kind: "GlobalNetworkPolicy", Name: "deny"},
		{Group: "projectcalico.org", Kind: "NetworkPolicy", Namespace: "a", Name: "b"},
	} {
		got, err := policy.ParseObjectRef(r.String())
		if err != nil || got != r {
			t.Errorf("ParseObjectRef(%q) = %v, %v; want %v", r.String(), got, err, r)
		}
	}
	if got, err := policy.ParseObjectRef("Calico NetworkPolicy a/b"); err != nil || got.Group != "projectcalico.org" {
		t.Errorf("ParseObjectRef(Calico ...) = %v, %v", got, err)
	}
	for _, bad := range []string{"", "Pod", "Pod a/b/c", "Pod a b", "Calico NetworkPolicy.x a/b"} {
		if _, err := policy.ParseObjectRef(bad); !isInvalid(err) {
			t.Errorf("ParseObjectRef(%q) = %v, want an *InvalidInputError", bad, err)
		}
	}
}

// TestEnumText: every enumeration reads back what it writes, and rejects
// other text.
func TestEnumText(t *testing.T) {
	type textual interface {
		encoding.TextMarshaler
	}
	check := func(v textual, ptr encoding.TextUnmarshaler) {
		t.Helper()
		b, err := v.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		if err := ptr.UnmarshalText(b); err != nil {
			t.Errorf("UnmarshalText(%q): %v", b, err)
		}
		if got := reflect.ValueOf(ptr).Elem().Interface(); got != v {
			t.Errorf("round trip of %v gave %v", v, got)
		}
		if err := ptr.UnmarshalText([]byte("nonsense")); err == nil {
			t.Errorf("%T accepts nonsense", ptr)
		}
	}
	for _, v := range []policy.Severity{policy.Info, policy.Warning, policy.Error} {
		check(v, new(policy.Severity))
	}
	for _, v := range []policy.Direction{policy.Ingress, policy.Egress} {
		check(v, new(policy.Direction))
	}
	for _, v := range []policy.Protocol{0, policy.TCP, policy.UDP, policy.SCTP, policy.ICMP, policy.ICMPv6, policy.UDPLite, 47} {
		check(v, new(policy.Protocol))
	}
	for _, v := range []policy.KyvernoMode{policy.KyvernoSimulate, policy.KyvernoOff} {
		check(v, new(policy.KyvernoMode))
	}
}

// TestCodes: the public codes are the internal ones, each described, and
// the public constants are among them.
func TestCodes(t *testing.T) {
	codes := policy.Codes()
	if len(codes) != len(ipolicy.Codes()) {
		t.Fatalf("%d public codes, %d internal", len(codes), len(ipolicy.Codes()))
	}
	for _, c := range codes {
		if c.Describe() == "" {
			t.Errorf("code %s has no description", c)
		}
	}
	for _, c := range []policy.Code{policy.CodeUnknownField, policy.CodeDuplicateField, policy.CodeTypeInvalid, policy.CodeRequired,
		policy.CodeInvalid, policy.CodeUnsupportedVersion, policy.CodeSkippedKind, policy.CodeDuplicateObject,
		policy.CodeUndeclaredNamespace, policy.CodeAmbiguousName, policy.CodeUnresolvedNamedPort, policy.CodeSyntax,
		policy.CodeRead, policy.CodeLimit, policy.CodeOther} {
		if !slices.Contains(codes, c) {
			t.Errorf("constant %s is not in Codes()", c)
		}
	}
}

// TestValuesMatchInternal: the public enumerations have the internal
// values they are converted to and from.
func TestValuesMatchInternal(t *testing.T) {
	pairs := [][2]int{
		{int(policy.Info), int(ipolicy.Info)}, {int(policy.Warning), int(ipolicy.Warning)}, {int(policy.Error), int(ipolicy.Error)},
		{int(policy.Ingress), int(ipolicy.Ingress)}, {int(policy.Egress), int(ipolicy.Egress)},
		{int(policy.ICMP), int(ipolicy.ICMP)}, {int(policy.TCP), int(ipolicy.TCP)}, {int(policy.UDP), int(ipolicy.UDP)},
		{int(policy.ICMPv6), int(ipolicy.ICMPv6)}, {int(policy.SCTP), int(ipolicy.SCTP)}, {int(policy.UDPLite), int(ipolicy.UDPLite)},
		{int(policy.KyvernoSimulate), int(ipolicy.KyvernoSimulate)}, {int(policy.KyvernoOff), int(ipolicy.KyvernoOff)},
	}
	for i, p := range pairs {
		if p[0] != p[1] {
			t.Errorf("pair %d: public %d, internal %d", i, p[0], p[1])
		}
	}
	for i, c := range policy.Codes() {
		if string(c) != string(ipolicy.Codes()[i]) {
			t.Errorf("code %d: public %s, internal %s", i, c, ipolicy.Codes()[i])
		}
	}
}
