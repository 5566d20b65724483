package live

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// served describes a server: group -> versions (preferred first) -> kinds.
type served map[string][][2]string // group -> [version, "Kind:resource,Kind:resource"]

func discover(s served, failed ...string) *discovered {
	var groups []*metav1.APIGroup
	var lists []*metav1.APIResourceList
	for g, versions := range s {
		ag := &metav1.APIGroup{Name: g}
		for _, v := range versions {
			gv := schema.GroupVersion{Group: g, Version: v[0]}
			ag.Versions = append(ag.Versions, metav1.GroupVersionForDiscovery{GroupVersion: gv.String(), Version: v[0]})
			l := &metav1.APIResourceList{GroupVersion: gv.String()}
			for _, kr := range strings.Split(v[1], ",") {
				kind, res, _ := strings.Cut(kr, ":")
				l.APIResources = append(l.APIResources, metav1.APIResource{Name: res, Kind: kind, Namespaced: true, Verbs: []string{"get", "list"}})
			}
			lists = append(lists, l)
		}
		ag.PreferredVersion = ag.Versions[0]
		groups = append(groups, ag)
	}
	f := map[schema.GroupVersion]error{}
	for _, gv := range failed {
		g, v, _ := strings.Cut(gv, "/")
		f[schema.GroupVersion{Group: g, Version: v}] = errServiceUnavailable
	}
	return newDiscovered(groups, lists, f)
}

var errServiceUnavailable = errors.New("the server is currently unable to handle the request")

func TestPlan(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		server served
		failed []string
		want   []string // resources read, as Resource.APIVersion()+" "+Resource.String()
		notes  []string // substrings, one per note in order
	}{
		{
			name:   "core kinds, Namespaces first, other kinds left out",
			server: served{"": {{"v1", "Pod:pods,ConfigMap:configmaps,Namespace:namespaces,Secret:secrets"}}},
			want:   []string{"v1 namespaces", "v1 pods"},
		},
		{
			name: "Calico API server and CRDs: read through the API server only",
			server: served{
				"projectcalico.org":     {{"v3", "NetworkPolicy:networkpolicies,Tier:tiers"}},
				"crd.projectcalico.org": {{"v1", "NetworkPolicy:networkpolicies,Tier:tiers,GlobalNetworkPolicy:globalnetworkpolicies,IPPool:ippools"}},
			},
			want: []string{
				"crd.projectcalico.org/v1 globalnetworkpolicies.crd.projectcalico.org",
				"crd.projectcalico.org/v1 ippools.crd.projectcalico.org",
				"projectcalico.org/v3 networkpolicies.projectcalico.org",
				"projectcalico.org/v3 tiers.projectcalico.org",
			},
			notes: []string{"Calico objects read through the projectcalico.org API"},
		},
		{
			name:   "Calico CRDs alone",
			server: served{"crd.projectcalico.org": {{"v1", "NetworkPolicy:networkpolicies,Tier:tiers"}}},
			want: []string{
				"crd.projectcalico.org/v1 networkpolicies.crd.projectcalico.org",
				"crd.projectcalico.org/v1 tiers.crd.projectcalico.org",
			},
		},
		{
			name: "Gateway API: the preferred version, else the one served",
			server: served{"gateway.networking.k8s.io": {
				{"v1", "Gateway:gateways,HTTPRoute:httproutes"},
				{"v1beta1", "Gateway:gateways,HTTPRoute:httproutes"},
				{"v1alpha2", "TCPRoute:tcproutes,ReferenceGrant:referencegrants"},
			}},
			want: []string{
				"gateway.networking.k8s.io/v1 gateways.gateway.networking.k8s.io",
				"gateway.networking.k8s.io/v1 httproutes.gateway.networking.k8s.io",
				"gateway.networking.k8s.io/v1alpha2 referencegrants.gateway.networking.k8s.io",
				"gateway.networking.k8s.io/v1alpha2 tcproutes.gateway.networking.k8s.io",
			},
		},
		{
			name:   "a version netreach does not read",
			server: served{"kyverno.io": {{"v9", "ClusterPolicy:clusterpolicies"}}},
			// Read all the same, for the loader to list it as skipped
			// with a warning.
			want:  []string{"kyverno.io/v9 clusterpolicies.kyverno.io"},
			notes: []string{"API group kyverno.io does not serve ClusterPolicy, Policy in a version netreach reads"},
		},
		{
			name:   "a kind both read and warned about is read once",
			server: served{"kyverno.io": {{"v1", "ClusterPolicy:clusterpolicies,Policy:policies"}, {"v2beta1", "ClusterPolicy:clusterpolicies,Policy:policies"}}},
			want:   []string{"kyverno.io/v1 clusterpolicies.kyverno.io", "kyverno.io/v1 policies.kyverno.io"},
		},
		{
			name:   "kinds skipped with a warning are read in any version",
			server: served{"cilium.io": {{"v2", "CiliumNetworkPolicy:ciliumnetworkpolicies,CiliumEndpoint:ciliumendpoints"}}},
			want:   []string{"cilium.io/v2 ciliumnetworkpolicies.cilium.io"},
		},
		{
			name:   "failed discovery of a group read is a warning",
			server: served{"": {{"v1", "Pod:pods"}}},
			failed: []string{"security.istio.io/v1"},
			want:   []string{"v1 pods"},
			notes:  []string{"warning: discovery of API group security.istio.io failed (security.istio.io/v1: "},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rs, notes := discover(tc.server, tc.failed...).plan("c")
			var got []string
			for _, r := range rs {
				got = append(got, r.APIVersion()+" "+r.String())
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("plan resources (-want +got):\n%s", d)
			}
			var text []string
			for _, n := range notes {
				text = append(text, n.String())
			}
			all := strings.Join(text, "\n")
			for _, want := range tc.notes {
				if !strings.Contains(all, want) {
					t.Errorf("plan notes:\n%s\nlack %q", all, want)
				}
			}
		})
	}
}
