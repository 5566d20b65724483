package policy

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const testPools = `
	apiVersion: projectcalico.org/v3
	kind: IPPool
	metadata: {name: default}
	spec: {cidr: 10.0.0.0/16, natOutgoing: true}
	---
	apiVersion: crd.projectcalico.org/v1
	kind: IPPool
	metadata: {name: zone-a}
	spec: {cidr: 10.1.0.0/24, nodeSelector: "zone == 'a'"}
	---
	apiVersion: projectcalico.org/v3
	kind: IPPool
	metadata: {name: reserved}
	spec: {cidr: 10.2.0.0/24, nodeSelector: "!all()"}
	---
	apiVersion: projectcalico.org/v3
	kind: IPPool
	metadata: {name: retired}
	spec: {cidr: 10.3.0.0/24, disabled: true}
	---
	apiVersion: projectcalico.org/v3
	kind: IPPool
	metadata: {name: v6}
	spec: {cidr: "fd00::/120"}
	---
	apiVersion: v1
	kind: Node
	metadata: {name: na, labels: {zone: a}}
	---
	apiVersion: v1
	kind: Node
	metadata: {name: nb, labels: {zone: b}}
	---
	apiVersion: v1
	kind: Namespace
	metadata:
	  name: annotated
	  annotations: {cni.projectcalico.org/ipv4pools: '["reserved"]'}
	---
`

func pod(ns, name, node, annotations string) string {
	s := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\n"
	if annotations != "" {
		s += "  annotations: " + annotations + "\n"
	}
	s += "spec:\n  containers: [{name: c, image: c}]\n"
	if node != "" {
		s += "  nodeName: " + node + "\n"
	}
	return s + "---\n"
}

// TestAssignPools pins Calico IPAM's precedence: ipAddrs, the pod's
// annotation, the namespace's, then the enabled pools whose node selector
// matches the node (any node of the input for a pod without one)
// [docs/calico-ipam.md §2].
func TestAssignPools(t *testing.T) {
	t.Parallel()
	text := dedent(testPools) +
		pod("plain", "on-a", "na", "") +
		pod("plain", "on-b", "nb", "") +
		pod("plain", "nowhere", "", "") +
		pod("plain", "lost", "gone", "") +
		pod("annotated", "by-ns", "na", "") +
		pod("annotated", "by-pod", "na", `{cni.projectcalico.org/ipv4pools: '["10.1.0.0/24"]'}`) +
		pod("plain", "fixed", "", `{cni.projectcalico.org/ipAddrs: '["10.0.0.9"]'}`)
	s := loadFiles(t, LoadOptions{}, file{"in.yaml", text})
	got := map[string]string{}
	for _, e := range s.Endpoints {
		var rs []string
		for _, r := range e.PoolRanges {
			rs = append(rs, r.String())
		}
		got[e.Name] = strings.Join(rs, " ") + " (" + string(e.PoolSource) + ")"
	}
	want := map[string]string{
		"on-a":    "10.0.0.0/16 10.1.0.0/24 fd00::/120 (pool node selectors)",
		"on-b":    "10.0.0.0/16 fd00::/120 (pool node selectors)",
		"nowhere": "10.0.0.0/16 10.1.0.0/24 fd00::/120 (pool node selectors)",
		"lost":    "10.0.0.0/16 10.1.0.0/24 fd00::/120 (pool node selectors)",
		"by-ns":   "10.2.0.0/24 fd00::/120 (namespace annotation)",
		"by-pod":  "10.1.0.0/24 fd00::/120 (pod annotation)",
		"fixed":   "10.0.0.9/32 (pod annotation cni.projectcalico.org/ipAddrs)",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("pool ranges (-want +got):\n%s", d)
	}
	if p := s.IPAM.PoolOf(netip.MustParseAddr("10.1.0.5")); p == nil || p.Name != "zone-a" {
		t.Errorf("PoolOf(10.1.0.5) = %v, want zone-a", p)
	}
	for _, d := range s.Diagnostics {
		if d.Severity > Info && !strings.Contains(d.Msg, "is not declared") {
			t.Errorf("unexpected diagnostic: %v", d)
		}
	}
}

func TestIPPoolDiagnostics(t *testing.T) {
	t.Parallel()
	s := loadYAML(t, `
		apiVersion: projectcalico.org/v3
		kind: IPPool
		metadata: {name: bad}
		spec:
		  cidr: 10.0.0.0/28
		  blockSize: 19
		  allowedUses: [Workload, Pods]
		---
		apiVersion: projectcalico.org/v3
		kind: IPPool
		metadata: {name: typo}
		spec:
		  cidr: 10.9.0.0/16
		  natOutgoin: true
		---
		apiVersion: v1
		kind: Pod
		metadata:
		  name: p
		  namespace: x
		  annotations: {cni.projectcalico.org/ipv4pools: '["nope", "typo"'}
		spec: {containers: [{name: c, image: c}]}
		---
		apiVersion: v1
		kind: Pod
		metadata:
		  name: q
		  namespace: x
		  annotations: {cni.projectcalico.org/ipv4pools: '["nope"]'}
		spec: {containers: [{name: c, image: c}]}
	`)
	want := []string{
		"in.yaml:5:3: error: document 1: IPPool bad: spec.cidr: 10.0.0.0/28 is smaller than one block (/19)",
		"in.yaml:6:3: error: document 1: IPPool bad: spec.blockSize: block size 19 out of range: want 20-32 for this family",
		`in.yaml:7:27: error: document 1: IPPool bad: spec.allowedUses[1]: unknown use "Pods": want Workload, Tunnel or LoadBalancer`,
		"in.yaml:14:3: warning: document 2: IPPool typo: spec.natOutgoin: unknown field",
		`in.yaml:16:1: warning: document 3: Pod x/p: metadata.annotations.cni.projectcalico.org/ipv4pools: invalid value`,
		`in.yaml:24:1: warning: document 4: Pod x/q: metadata.annotations.cni.projectcalico.org/ipv4pools: "nope" names no IPPool of the input`,
	}
	got := diagLines(s.Diagnostics)
	for _, w := range want {
		found := false
		for _, g := range got {
			if strings.HasPrefix(g, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("no diagnostic starting %q in\n%s", w, strings.Join(got, "\n"))
		}
	}
}
