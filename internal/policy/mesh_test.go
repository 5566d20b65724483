package policy_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/netreach/netreach/internal/policy"
)

// TestLoadMesh decodes Istio objects into their validated form: actions
// and modes, empty selectors as none, service accounts with their
// namespace, IP blocks parsed and masked, dry-run and revision labels,
// creation timestamps; and reads the pod fields the mesh needs.
func TestLoadMesh(t *testing.T) {
	const in = `
apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata:
  name: ap
  namespace: app
  labels: {istio.io/rev: canary}
  annotations: {istio.io/dry-run: "true"}
spec:
  selector: {matchLabels: {}}
  action: DENY
  rules:
  - from:
    - source:
        serviceAccounts: ["web", "other/api"]
        ipBlocks: ["10.1.2.3/16", "192.0.2.1"]
    to:
    - operation: {ports: ["80"], notPorts: ["81"], methods: ["GET"]}
    when:
    - {key: destination.ip, notValues: ["10.0.0.0/8"]}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: pa
  namespace: app
  creationTimestamp: "2024-02-03T04:05:06Z"
spec:
  selector: {matchLabels: {app: web}}
  mtls: {mode: PERMISSIVE}
  portLevelMtls:
    "8080": {mode: STRICT}
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: app
  annotations:
    sidecar.istio.io/inject: "true"
    traffic.sidecar.istio.io/excludeInboundPorts: "9090"
    kubectl.kubernetes.io/last-applied-configuration: "{}"
spec:
  initContainers:
  - {name: istio-proxy, image: proxyv2}
  containers:
  - {name: main, image: app}
`
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes("mesh.yaml", []byte(in))
	snap, err := l.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	wantAP := []*policy.AuthorizationPolicy{{
		ObjectRef: policy.ObjectRef{Group: "security.istio.io", Kind: "AuthorizationPolicy", Namespace: "app", Name: "ap"},
		Action:    policy.MeshDeny, DryRun: true, Revision: "canary",
		Rules: []policy.MeshRule{{
			From: []policy.MeshSource{{
				ServiceAccounts: []string{"app/web", "other/api"},
				IPBlocks:        []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("192.0.2.1/32")},
			}},
			To:   []policy.MeshOperation{{Ports: []uint16{80}, NotPorts: []uint16{81}, Methods: []string{"GET"}}},
			When: []policy.MeshCondition{{Key: "destination.ip", NotValues: []string{"10.0.0.0/8"}, NotPrefixes: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}},
		}},
	}}
	ignore := cmpopts.IgnoreFields(policy.ObjectRef{}, "Source")
	ignoreLoc := cmpopts.IgnoreFields(policy.MeshRule{}, "Loc")
	prefixes := cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })
	if d := cmp.Diff(wantAP, snap.Mesh.AuthorizationPolicies, ignore, ignoreLoc, prefixes); d != "" {
		t.Errorf("AuthorizationPolicies (-want +got):\n%s", d)
	}
	wantPA := []*policy.PeerAuthentication{{
		ObjectRef: policy.ObjectRef{Group: "security.istio.io", Kind: "PeerAuthentication", Namespace: "app", Name: "pa"},
		Selector:  map[string]string{"app": "web"}, Mode: policy.MTLSPermissive,
		PortLevel: map[uint16]policy.MTLSMode{8080: policy.MTLSStrict},
		Created:   time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC),
	}}
	if d := cmp.Diff(wantPA, snap.Mesh.PeerAuthentications, ignore); d != "" {
		t.Errorf("PeerAuthentications (-want +got):\n%s", d)
	}
	if got := snap.Mesh.AuthorizationPolicies[0].Rules[0].Loc.Line; got != 13 {
		t.Errorf("rule 0 is located at line %d, want 13", got)
	}
	web := snap.Endpoints[0]
	wantAnn := map[string]string{"sidecar.istio.io/inject": "true", "traffic.sidecar.istio.io/excludeInboundPorts": "9090"}
	if d := cmp.Diff(wantAnn, web.MeshAnnotations); d != "" || !web.IstioProxy {
		t.Errorf("pod web: IstioProxy = %t, mesh annotations (-want +got):\n%s", web.IstioProxy, d)
	}
	if !snap.Mesh.Present() {
		t.Error("Mesh.Present() = false with Istio objects loaded")
	}
}

// TestApplyMesh replaces and deletes Istio objects as kubectl apply would.
func TestApplyMesh(t *testing.T) {
	load := func(s string) *policy.Snapshot {
		l := policy.NewLoader(policy.LoadOptions{})
		l.AddBytes("x.yaml", []byte(s))
		snap, err := l.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		return snap
	}
	base := load(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: a, namespace: app}
spec: {action: ALLOW}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: p, namespace: app}
spec: {mtls: {mode: STRICT}}
`)
	change := load(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: a, namespace: app}
spec: {action: DENY, rules: [{}]}
`)
	next, err := base.Apply(change, []string{"peerauthentication/app/p"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(next.Mesh.AuthorizationPolicies); n != 1 || next.Mesh.AuthorizationPolicies[0].Action != policy.MeshDeny {
		t.Errorf("after apply: %d AuthorizationPolicies, want the replaced DENY one", n)
	}
	if n := len(next.Mesh.PeerAuthentications); n != 0 {
		t.Errorf("after deleting peerauthentication/app/p: %d PeerAuthentications, want 0", n)
	}
}
