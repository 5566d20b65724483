package policy

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	anpv1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	anpv1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"

	"github.com/netreach/netreach/internal/policy/calicov3"
	"github.com/netreach/netreach/internal/policy/istio"
)

// typeKinds maps the Go types of the objects netreach reads to their
// apiVersion and kind, for typed objects given without TypeMeta (what an
// informer's cache holds).
var typeKinds = map[reflect.Type]typeMeta{}

func init() {
	add := func(v any, apiVersion, kind string) {
		typeKinds[reflect.TypeOf(v)] = typeMeta{APIVersion: apiVersion, Kind: kind}
	}
	add(corev1.Namespace{}, "v1", "Namespace")
	add(corev1.Pod{}, "v1", "Pod")
	add(corev1.Service{}, "v1", "Service")
	add(corev1.ServiceAccount{}, "v1", "ServiceAccount")
	add(corev1.Node{}, "v1", "Node")
	add(corev1.ReplicationController{}, "v1", "ReplicationController")
	add(appsv1.Deployment{}, "apps/v1", "Deployment")
	add(appsv1.StatefulSet{}, "apps/v1", "StatefulSet")
	add(appsv1.DaemonSet{}, "apps/v1", "DaemonSet")
	add(appsv1.ReplicaSet{}, "apps/v1", "ReplicaSet")
	add(batchv1.Job{}, "batch/v1", "Job")
	add(batchv1.CronJob{}, "batch/v1", "CronJob")
	add(networkingv1.NetworkPolicy{}, "networking.k8s.io/v1", "NetworkPolicy")
	add(networkingv1.Ingress{}, "networking.k8s.io/v1", "Ingress")
	add(networkingv1.IngressClass{}, "networking.k8s.io/v1", "IngressClass")
	add(discoveryv1.EndpointSlice{}, "discovery.k8s.io/v1", "EndpointSlice")
	add(anpv1alpha1.AdminNetworkPolicy{}, "policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy")
	add(anpv1alpha1.BaselineAdminNetworkPolicy{}, "policy.networking.k8s.io/v1alpha1", "BaselineAdminNetworkPolicy")
	add(anpv1alpha2.ClusterNetworkPolicy{}, "policy.networking.k8s.io/v1alpha2", "ClusterNetworkPolicy")
	add(calicov3.NetworkPolicy{}, calicov3.GroupVersion, calicov3.KindNetworkPolicy)
	add(calicov3.GlobalNetworkPolicy{}, calicov3.GroupVersion, calicov3.KindGlobalNetworkPolicy)
	add(calicov3.StagedNetworkPolicy{}, calicov3.GroupVersion, calicov3.KindStagedNetworkPolicy)
	add(calicov3.StagedGlobalNetworkPolicy{}, calicov3.GroupVersion, calicov3.KindStagedGlobalNetworkPolicy)
	add(calicov3.StagedKubernetesNetworkPolicy{}, calicov3.GroupVersion, calicov3.KindStagedKubernetesNetworkPolicy)
	add(calicov3.Tier{}, calicov3.GroupVersion, calicov3.KindTier)
	add(calicov3.NetworkSet{}, calicov3.GroupVersion, calicov3.KindNetworkSet)
	add(calicov3.GlobalNetworkSet{}, calicov3.GroupVersion, calicov3.KindGlobalNetworkSet)
	add(calicov3.HostEndpoint{}, calicov3.GroupVersion, calicov3.KindHostEndpoint)
	add(istio.AuthorizationPolicy{}, istio.Group+"/v1", istio.KindAuthorizationPolicy)
	add(istio.PeerAuthentication{}, istio.Group+"/v1", istio.KindPeerAuthentication)
	gateway := []struct {
		v    any
		kind string
	}{{gwv1.GatewayClass{}, "GatewayClass"}, {gwv1.Gateway{}, "Gateway"}, {gwv1.HTTPRoute{}, "HTTPRoute"},
		{gwv1.GRPCRoute{}, "GRPCRoute"}, {gwv1.TCPRoute{}, "TCPRoute"}, {gwv1.UDPRoute{}, "UDPRoute"},
		{gwv1.TLSRoute{}, "TLSRoute"}, {gwv1.ReferenceGrant{}, "ReferenceGrant"}}
	for _, g := range gateway {
		for _, version := range []string{"v1", "v1beta1", "v1alpha2"} {
			if _, ok := handlers[GatewayGroup+"/"+version+"|"+g.kind]; ok {
				add(g.v, GatewayGroup+"/"+version, g.kind)
				break
			}
		}
	}
}

// AddObject adds one typed object: a pointer to (or a value of) a type of
// k8s.io/api, sigs.k8s.io/network-policy-api, the Gateway API, package
// calicov3 or package istio, or anything that marshals to a Kubernetes
// object in JSON, such as an *unstructured.Unstructured. TypeMeta may be
// empty, as it is in an informer's cache: the kind is then taken from the
// Go type. The object is read through its JSON form and never modified;
// the loader keeps nothing that points into it.
//
// The object gets the same validation and diagnostics as a file would;
// they are located by the object's reference ("Pod ns/name: spec.containers[0]…")
// instead of file and line, and reported by [Loader.Snapshot]. AddObject
// itself fails, with an [*InvalidInputError], only for what is not an
// object at all: nil, a nil pointer, a value that does not marshal, or an
// object of a type it does not know given without apiVersion and kind.
func (l *Loader) AddObject(obj any) error {
	const op = "policy: AddObject"
	if obj == nil {
		return invalidInput(op, "nil object")
	}
	rv := reflect.ValueOf(obj)
	if rv.Kind() == reflect.Pointer && rv.IsNil() {
		return invalidInput(op, "nil %T", obj)
	}
	j, err := json.Marshal(obj)
	if err != nil {
		return invalidInput(op, "%T does not marshal to JSON: %v", obj, err)
	}
	if len(j) == 0 || j[0] != '{' {
		return invalidInput(op, "%T is not a Kubernetes object (it marshals to %s)", obj, describeJSONKind(j[0]))
	}
	var tm typeMeta
	_ = json.Unmarshal(j, &tm)
	want, known := typeKinds[reflect.Indirect(rv).Type()]
	switch {
	case tm.APIVersion == "" && tm.Kind == "":
		if !known {
			return invalidInput(op, "cannot tell the apiVersion and kind of %T: set its TypeMeta", obj)
		}
		j = withTypeMeta(j, want)
	case known && tm.Kind != want.Kind:
		return invalidInput(op, "%T has TypeMeta kind %q: expected %q", obj, tm.Kind, want.Kind)
	}
	l.ndocs++
	l.queue(&document{index: 0, text: j, json: j, isJSON: true, object: true})
	return nil
}

// withTypeMeta returns the JSON object j with apiVersion and kind added in
// front (j has neither).
func withTypeMeta(j []byte, tm typeMeta) []byte {
	head := fmt.Sprintf(`{"apiVersion":%q,"kind":%q`, tm.APIVersion, tm.Kind)
	rest := strings.TrimSpace(string(j[1:]))
	if rest != "}" {
		head += ","
	}
	return append([]byte(head), rest...)
}

// FromObjects builds a snapshot from typed objects (see [Loader.AddObject]),
// with the default [LoadOptions]. As with [Load], the error is a
// [Diagnostics] when an object is invalid, and the snapshot is returned
// even then; an argument that is not an object at all (nil) fails the
// call with an [*InvalidInputError] and no snapshot.
func FromObjects(objs ...any) (*Snapshot, error) {
	l := NewLoader(LoadOptions{})
	for _, o := range objs {
		if err := l.AddObject(o); err != nil {
			return nil, err
		}
	}
	return l.Snapshot()
}

// Check reports whether s can be analysed: it was built by a [Loader]
// ([Load], [FromObjects]) or derived from such a snapshot ([Snapshot.With],
// [Snapshot.Without], [Snapshot.Apply]). A nil Snapshot, the zero Snapshot
// and one assembled by hand fail with an [*InvalidInputError], since their
// lookup indexes are missing.
func (s *Snapshot) Check() error {
	const op = "policy: Snapshot"
	if s == nil {
		return invalidInput(op, "nil snapshot")
	}
	if !s.indexed {
		return invalidInput(op, "not built by a Loader: use policy.Load, policy.FromObjects or Snapshot.With to build one")
	}
	return nil
}
