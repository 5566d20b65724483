package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/netreach/netreach/internal/egress"
	"github.com/netreach/netreach/internal/policy"
)

// SharedEgressAddress: traffic to a destination outside the cluster that
// leaves with node addresses (Calico outgoing NAT) that workloads of other
// tenants leave with too [docs/calico-ipam.md §5].
const SharedEgressAddress Kind = "egress-shared-node-address"

func init() {
	registerKinds(KindInfo{"NR031", SharedEgressAddress, Medium, "Egress leaves with node addresses shared across tenants",
		"Traffic from these workloads to destinations outside the cluster is masqueraded behind node addresses (the IP pool has natOutgoing), and workloads of other namespaces (tenants) leave with the same addresses, so a firewall outside the cluster cannot tell the tenants apart: allowing one lets them all through. netreach egress lists the addresses per workload (docs/calico-ipam.md).",
		"Give the tenant its own IP pool without natOutgoing (cni.projectcalico.org/ipv4pools on its namespace) and allow that range on the firewall, or send its traffic through its own egress gateway."})
}

// sharedEgressFindings reports, per namespace, the workloads whose
// traffic to outside destinations leaves with node addresses that
// workloads of another tenant's namespace leave with too (NR031). Shared
// namespaces are left out, and so are namespaces of the same tenant. It
// needs the input's IP pools: without them it reports nothing.
func (a *analysis) sharedEgressFindings() []Finding {
	if len(a.snap.IPAM.Pools) == 0 {
		return nil
	}
	r := egress.Analyze(a.m, egress.Options{})
	type acc struct {
		workloads, others, dsts []string
		endpoints               []string
	}
	byNS := map[string]*acc{}
	var order []string
	for _, f := range r.Flows {
		if f.Via != egress.ViaNode || a.shared(f.Namespace) {
			continue
		}
		var others []string
		for _, ns := range f.SharedNamespaces() {
			if a.shared(ns) || a.sameTenant(f.Namespace, ns) {
				continue
			}
			others = append(others, ns)
		}
		if len(others) == 0 {
			continue
		}
		x := byNS[f.Namespace]
		if x == nil {
			x = &acc{}
			byNS[f.Namespace] = x
			order = append(order, f.Namespace)
		}
		addUnique(&x.workloads, f.Workload)
		for _, o := range others {
			addUnique(&x.others, o)
		}
		for _, d := range f.Destinations {
			addUnique(&x.dsts, d.String())
		}
		for _, e := range f.Endpoints {
			addUnique(&x.endpoints, e)
		}
	}
	slices.Sort(order)
	var out []Finding
	for _, ns := range order {
		x := byNS[ns]
		verb := "reach"
		if len(x.workloads) == 1 {
			verb = "reaches"
		}
		f := newFinding(SharedEgressAddress, ns, fmt.Sprintf("%s of namespace %s %s destinations outside the cluster (%s) with node addresses that workloads of %s of other tenants use too: %s",
			countOf(len(x.workloads), "workload"), ns, verb, listSome(x.dsts, 3), countOf(len(x.others), "namespace"), listSome(x.others, 3)),
			fmt.Sprintf("Give namespace %s its own IP pool without natOutgoing, or its own egress gateway, so that a firewall can tell its traffic apart.", ns))
		for _, id := range x.endpoints {
			nsName, name, _ := strings.Cut(id, "/")
			f.Objects = append(f.Objects, policy.ObjectRef{Kind: "Pod", Namespace: nsName, Name: name})
		}
		out = append(out, f)
	}
	return out
}

// sameTenant reports whether two namespaces carry the same tenant label
// value.
func (a *analysis) sameTenant(x, y string) bool {
	tx, ty := a.tenant(x), a.tenant(y)
	return tx != "" && tx == ty
}

func addUnique(xs *[]string, s string) {
	if !slices.Contains(*xs, s) {
		*xs = append(*xs, s)
	}
}

func listSome(xs []string, n int) string {
	if len(xs) > n {
		return strings.Join(xs[:n], ", ") + fmt.Sprintf(" and %d more", len(xs)-n)
	}
	return strings.Join(xs, ", ")
}
