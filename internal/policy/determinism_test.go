package policy

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// determinismDocs are documents with every kind of object and of
// diagnostic the loader produces, except duplicates (where the order of
// the input decides which definition wins, by design).
var determinismDocs = []string{
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: prod, labels: {team: a}}\n",
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: dev, bogus: 1}\n",
	"apiVersion: v1\nkind: Pod\nmetadata: {name: web-abc-1, namespace: prod, labels: {app: web, pod-template-hash: abc}, ownerReferences: [{kind: ReplicaSet, name: web-abc, apiVersion: apps/v1, uid: u}]}\nspec: {containers: [{name: c, ports: [{name: http, containerPort: 80}]}]}\nstatus: {podIP: 10.0.0.1}\n",
	"apiVersion: v1\nkind: Pod\nmetadata: {name: web-abc-2, namespace: prod, labels: {app: web, pod-template-hash: abc}, ownerReferences: [{kind: ReplicaSet, name: web-abc, apiVersion: apps/v1, uid: u}]}\nstatus: {podIP: 10.0.0.2}\n",
	"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: prod}\nspec: {template: {metadata: {labels: {app: web}}}}\n",
	"apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: web-abc, namespace: prod, ownerReferences: [{kind: Deployment, name: web, apiVersion: apps/v1, uid: d}]}\nspec: {template: {metadata: {labels: {app: web}}}}\n",
	"apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: prod}\nspec: {template: {metadata: {labels: {app: db}}, spec: {containers: [{name: c, ports: [{name: pg, containerPort: 5432}]}]}}}\n",
	"apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: backup, namespace: prod}\nspec: {schedule: x, jobTemplate: {spec: {template: {metadata: {labels: {app: backup}}}}}}\n",
	"apiVersion: v1\nkind: Pod\nmetadata: {name: lonely, namespace: qa}\nspec: {containers: [{name: c, ports: [{name: http, containerPort: 8080, protocol: TCP}]}], bogus: 2}\n",
	"apiVersion: v1\nkind: Pod\nmetadata: {name: done, namespace: qa}\nstatus: {phase: Succeeded}\n",
	"apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: prod}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n",
	"apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: staging}\n",
	"apiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {zone: a}}\nstatus: {addresses: [{type: InternalIP, address: 192.168.0.1}]}\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: prod}\n",
	"apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata: {name: old, namespace: prod}\n",
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-web, namespace: prod}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - from: [{namespaceSelector: {}}]\n    ports: [{port: http}, {port: metrics}]\n  - from: [{ipBlock: {cidr: 10.0.0.1/8, except: [11.0.0.0/8]}}]\n",
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: staging}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  egress:\n  - to: [{}]\n  - ports: [{port: 0}]\n",
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: misplaced, namespace: dev}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - podSelector: {}\n      ports: [{port: 80}]\n",
	"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: l1, namespace: dev}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: l2, namespace: dev, labels: {bad key: x}}\n- 5\n",
	"apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containers: 7}\n",
	"just text\n",
	"a: [1, 2\n",
}

// snapshotSummary is what must not depend on the order of the input:
// every list of the snapshot and the diagnostics without their locations
// (which of course move with the documents).
type snapshotSummary struct {
	Namespaces, Endpoints, Policies, Services, Nodes, ServiceAccounts, Skipped, Diagnostics []string
}

func summarize(s *Snapshot) snapshotSummary {
	var sum snapshotSummary
	for _, ns := range s.Namespaces {
		sum.Namespaces = append(sum.Namespaces, fmt.Sprintf("%s synthesized=%v %s", ns.Name, ns.Synthesized, cmpLabels(ns.Labels)))
	}
	for _, e := range s.Endpoints {
		sum.Endpoints = append(sum.Endpoints, fmt.Sprintf("%s template=%v workload=%s labels=%s ips=%v ports=%v sa=%s", e.ID(), e.Template, e.Workload, cmpLabels(e.Labels), e.IPs, e.Ports, e.ServiceAccount))
	}
	for _, np := range s.NetworkPolicies {
		sum.Policies = append(sum.Policies, fmt.Sprintf("%s types=%v invalid=%v", np.Key(), np.Spec.PolicyTypes, np.Invalid))
	}
	for _, x := range s.Services {
		sum.Services = append(sum.Services, x.Key())
	}
	for _, x := range s.Nodes {
		sum.Nodes = append(sum.Nodes, x.Key())
	}
	for _, x := range s.ServiceAccounts {
		sum.ServiceAccounts = append(sum.ServiceAccounts, x.Key())
	}
	for _, x := range s.Skipped {
		sum.Skipped = append(sum.Skipped, x.Key()+": "+x.Reason)
	}
	for _, d := range s.Diagnostics {
		d.Location = Location{}
		sum.Diagnostics = append(sum.Diagnostics, d.String())
	}
	sort.Strings(sum.Diagnostics)
	return sum
}

// TestDeterminism loads the same documents in many orders, spread over
// files in different ways, and checks that the snapshot is the same.
func TestDeterminism(t *testing.T) {
	t.Parallel()
	load := func(order []int, files int) snapshotSummary {
		l := NewLoader(LoadOptions{})
		parts := make([][]string, files)
		for i, d := range order {
			parts[i%files] = append(parts[i%files], determinismDocs[d])
		}
		for i, p := range parts {
			l.AddBytes(fmt.Sprintf("f%d.yaml", i), []byte(strings.Join(p, "---\n")))
		}
		s, _ := l.Snapshot()
		// The sorted diagnostics must be sorted by location.
		for i := 1; i < len(s.Diagnostics); i++ {
			if locationLess(s.Diagnostics[i].Location, s.Diagnostics[i-1].Location) {
				t.Fatalf("diagnostics not sorted: %s before %s", s.Diagnostics[i-1], s.Diagnostics[i])
			}
		}
		return summarize(s)
	}
	order := make([]int, len(determinismDocs))
	for i := range order {
		order[i] = i
	}
	want := load(order, 1)
	if len(want.Diagnostics) < 15 || len(want.Endpoints) < 5 {
		t.Fatalf("the corpus is meant to produce many diagnostics and endpoints, got %d and %d", len(want.Diagnostics), len(want.Endpoints))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 50; trial++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		files := 1 + rng.IntN(5)
		if d := cmp.Diff(want, load(order, files)); d != "" {
			t.Fatalf("order %v in %d files: snapshot differs (-want +got):\n%s", order, files, d)
		}
	}
}
