package mesh_test

import (
	"testing"

	"github.com/netreach/netreach/internal/mesh"
	"github.com/netreach/netreach/internal/policy"
)

func load(t *testing.T, yaml string) *policy.Snapshot {
	t.Helper()
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes("in.yaml", []byte(yaml))
	snap, err := l.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func endpoint(t *testing.T, s *policy.Snapshot, id string) *policy.Endpoint {
	t.Helper()
	for _, e := range s.Endpoints {
		if e.ID() == id {
			return e
		}
	}
	t.Fatalf("no endpoint %s", id)
	return nil
}

func TestMatchString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"abc", "abc", true}, {"abc", "abcd", false},
		{"abc*", "abcd", true}, {"abc*", "abc", true}, {"abc*", "xabc", false},
		{"*abc", "xabc", true}, {"*abc", "abcx", false},
		{"*", "x", true}, {"*", "", false},
	}
	for _, tc := range tests {
		if got := mesh.MatchString(tc.pattern, tc.value); got != tc.want {
			t.Errorf("MatchString(%q, %q) = %t, want %t", tc.pattern, tc.value, got, tc.want)
		}
	}
}

// TestMember checks each membership rule on its own pod.
func TestMember(t *testing.T) {
	t.Parallel()
	s := load(t, `
apiVersion: v1
kind: Namespace
metadata: {name: inj, labels: {istio-injection: enabled, istio.io/rev: canary}}
---
apiVersion: v1
kind: Namespace
metadata: {name: rev, labels: {istio.io/rev: canary}}
---
apiVersion: v1
kind: Namespace
metadata: {name: amb, labels: {istio.io/dataplane-mode: ambient, istio.io/use-waypoint: wp}}
---
apiVersion: v1
kind: Namespace
metadata: {name: plain}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: inj}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: inj, annotations: {sidecar.istio.io/inject: "no"}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: host, namespace: inj}
spec: {hostNetwork: true, containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: rev, labels: {sidecar.istio.io/inject: "true"}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: d, namespace: amb}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: e, namespace: amb, labels: {istio.io/use-waypoint: none}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: f, namespace: amb, labels: {app: f}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Service
metadata: {name: f, namespace: amb, labels: {istio.io/use-waypoint: svc-wp, istio.io/use-waypoint-namespace: shared}}
spec: {selector: {app: f}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: g, namespace: plain, annotations: {sidecar.istio.io/status: "{}"}}
spec: {containers: [{name: c, image: x}]}
`)
	m := mesh.New(s, mesh.Options{})
	tests := []struct {
		pod       string
		dataplane mesh.Dataplane
		revision  string
		waypoint  string
	}{
		{"inj/a", mesh.Sidecar, "default", ""},       // istio-injection wins over istio.io/rev
		{"inj/b", mesh.NoDataplane, "", ""},          // any value other than y/yes/true/on opts out
		{"inj/host", mesh.NoDataplane, "", ""},       // host network
		{"rev/c", mesh.Sidecar, "canary", ""},        // the namespace's revision
		{"amb/d", mesh.Ambient, "default", "amb/wp"}, // the namespace's waypoint
		{"amb/e", mesh.Ambient, "default", ""},       // the pod's "none"
		{"amb/f", mesh.Ambient, "default", "shared/svc-wp"},
		{"plain/g", mesh.Sidecar, "default", ""}, // the injector's status annotation
	}
	for _, tc := range tests {
		mb := m.Member(endpoint(t, s, tc.pod))
		wp := ""
		if mb.Waypoint != nil {
			wp = mb.Waypoint.String()
		}
		if mb.Dataplane != tc.dataplane || mb.Revision != tc.revision || wp != tc.waypoint {
			t.Errorf("Member(%s) = %s revision %q waypoint %q (%s), want %s revision %q waypoint %q",
				tc.pod, mb.Dataplane, mb.Revision, wp, mb.Why, tc.dataplane, tc.revision, tc.waypoint)
		}
	}
}

// TestMTLSAndProtocol checks the narrowest-wins order of PeerAuthentication
// and the application protocol Services declare.
func TestMTLSAndProtocol(t *testing.T) {
	t.Parallel()
	s := load(t, `
apiVersion: v1
kind: Namespace
metadata: {name: app, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: app, labels: {app: web}}
spec: {containers: [{name: c, image: x, ports: [{name: admin, containerPort: 9000}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: app}
spec:
  selector: {app: web}
  ports:
  - {name: http-web, port: 80, targetPort: 8080}
  - {name: admin, port: 9000, targetPort: admin, appProtocol: tcp}
  - {name: grpc, port: 7000}
---
apiVersion: v1
kind: Service
metadata: {name: web-too, namespace: app}
spec:
  selector: {app: web}
  ports:
  - {name: tcp-x, port: 7000}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: mesh, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: web, namespace: app}
spec:
  selector: {matchLabels: {app: web}}
  portLevelMtls: {"8080": {mode: DISABLE}, "9000": {mode: UNSET}}
`)
	m := mesh.New(s, mesh.Options{})
	web := endpoint(t, s, "app/web")
	for _, tc := range []struct {
		port  uint16
		mode  policy.MTLSMode
		scope string
		proto mesh.AppProtocol
	}{
		{8080, policy.MTLSDisable, "port", mesh.HTTP},
		{9000, policy.MTLSStrict, "mesh", mesh.Opaque},
		{7000, policy.MTLSStrict, "mesh", mesh.Detected}, // grpc and tcp-x disagree
		{81, policy.MTLSStrict, "mesh", mesh.Detected},
	} {
		r := m.MTLS(web, tc.port)
		if r.Mode != tc.mode || r.Scope != tc.scope {
			t.Errorf("MTLS(web, %d) = %s from %s, want %s from %s", tc.port, r.Mode, r.Scope, tc.mode, tc.scope)
		}
		if got := m.Protocol(web, tc.port); got != tc.proto {
			t.Errorf("Protocol(web, %d) = %s, want %s", tc.port, got, tc.proto)
		}
	}
}
