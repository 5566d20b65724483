package policy_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/policy/calicov3"
)

// typedCluster returns typed objects as an informer's cache holds them:
// without TypeMeta.
func typedCluster() []any {
	tcp := corev1.ProtocolTCP
	port := intstr.FromInt32(8080)
	return []any{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "prod", Labels: map[string]string{"team": "a"}}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "prod", Labels: map[string]string{"app": "web"}},
			Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}}},
			Status: corev1.PodStatus{PodIP: "10.0.0.1", PodIPs: []corev1.PodIP{{IP: "10.0.0.1"}}}},
		corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "prod", Labels: map[string]string{"app": "db"}},
			Status: corev1.PodStatus{PodIP: "10.0.0.2"}},
		&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "prod"},
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
				Ingress: []networkingv1.NetworkPolicyIngressRule{{
					From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}},
					Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &port}},
				}},
			}},
		&calicov3.GlobalNetworkSet{ObjectMeta: metav1.ObjectMeta{Name: "corp", Labels: map[string]string{"net": "corp"}},
			Spec: calicov3.GlobalNetworkSetSpec{Nets: []string{"192.168.0.0/16"}}},
	}
}

const typedClusterYAML = `
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {team: a}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
spec:
  containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]
status: {podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
status: {podIP: 10.0.0.2}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{protocol: TCP, port: 8080}]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: corp, labels: {net: corp}}
spec: {nets: [192.168.0.0/16]}
`

// TestFromObjectsEqualsFiles: typed objects without TypeMeta give the
// snapshot the same manifests give as a file, apart from the locations,
// and are not modified.
func TestFromObjectsEqualsFiles(t *testing.T) {
	t.Parallel()
	objs := typedCluster()
	got, err := policy.FromObjects(objs...)
	if err != nil {
		t.Fatalf("FromObjects: %v", err)
	}
	if !reflect.DeepEqual(objs, typedCluster()) {
		t.Errorf("FromObjects modified its arguments")
	}
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes("cluster.yaml", []byte(typedClusterYAML))
	want, err := l.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if d := sourcelessDiff(want, got); d != "" {
		t.Errorf("FromObjects differs from the same objects in a file:\n%s", d)
	}
	if len(got.Diagnostics) != 0 {
		t.Errorf("FromObjects diagnostics = %v, want none", got.Diagnostics)
	}
}

// sourcelessDiff compares two snapshots without their locations.
func sourcelessDiff(a, b *policy.Snapshot) string {
	pa, pb := policy.WithoutSources(a), policy.WithoutSources(b)
	if reflect.DeepEqual(pa, pb) {
		return ""
	}
	return "want " + pa + "\ngot  " + pb
}

// TestAddObjectDiagnosticsNameTheObject: an invalid typed object gets the
// diagnostics a file would, located by its reference.
func TestAddObjectDiagnosticsNameTheObject(t *testing.T) {
	t.Parallel()
	np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "bad", Namespace: "prod"},
		Spec: networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{
			From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/33"}}},
		}}}}
	s, err := policy.FromObjects(np)
	if err == nil || !s.Diagnostics.HasErrors() {
		t.Fatalf("FromObjects(invalid CIDR) error = %v, want diagnostics", err)
	}
	got := s.Diagnostics.Errors()[0].String()
	if want := "error: NetworkPolicy prod/bad: spec.ingress[0].from[0].ipBlock.cidr: "; !strings.HasPrefix(got, want) {
		t.Errorf("diagnostic = %q, want prefix %q", got, want)
	}
}

// TestInvalidInputsAreErrors: nil, nil pointers, values that are not
// objects, unknown types without TypeMeta and a TypeMeta that contradicts
// the Go type are *InvalidInputError, never a panic.
func TestInvalidInputsAreErrors(t *testing.T) {
	t.Parallel()
	type notAKubernetesType struct {
		Name string `json:"name"`
	}
	for name, obj := range map[string]any{
		"nil":          nil,
		"nil pointer":  (*corev1.Pod)(nil),
		"string":       "pod",
		"unknown type": &notAKubernetesType{Name: "x"},
		"kind mismatch": &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "a"}},
		"unmarshalable": map[string]any{"f": func() {}},
	} {
		_, err := policy.FromObjects(obj)
		var bad *policy.InvalidInputError
		if !errors.As(err, &bad) {
			t.Errorf("FromObjects(%s) error = %v, want *InvalidInputError", name, err)
		}
	}
	for name, s := range map[string]*policy.Snapshot{"nil": nil, "zero": {}, "by hand": {Endpoints: []*policy.Endpoint{{}}}} {
		if err := s.Check(); !errors.As(err, new(*policy.InvalidInputError)) {
			t.Errorf("%s Snapshot: Check() = %v, want *InvalidInputError", name, err)
		}
	}
	s, err := policy.FromObjects()
	if err != nil || s.Check() != nil {
		t.Errorf("FromObjects() = %v, %v; Check() = %v; want an empty valid snapshot", s, err, s.Check())
	}
}
