package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/netreach/netreach/internal/exposure"
	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// EntireCluster: pods whose own ingress policies admit every pod that
// could be created, in any namespace [docs/exposure.md].
const EntireCluster Kind = "exposed-to-entire-cluster"

func init() {
	registerKinds(KindInfo{"NR025", EntireCluster, Medium, "Exposed to the entire cluster",
		"Policies isolate these pods for ingress, yet on some ports their ingress policies admit every pod: any pod in any namespace, with any labels, including pods and namespaces created later (a rule with namespaceSelector: {}, an empty from, or nothing else restricting). The exposure analysis decides this exactly from the selectors, not from the pods that exist (docs/exposure.md). Pods of shared namespaces are left out.",
		"Restrict the rules that admit everyone to the namespaces and pods that need the ports (namespaceSelector on kubernetes.io/metadata.name, podSelector)."})
}

// entireClusterFindings reports, per namespace, the ingress-isolated pods
// whose own policies admit every pod that could be created, in any
// namespace (NR025), from the exposure analysis [docs/exposure.md]. It
// judges the pods' own ingress side, as a reviewer fixing their rules
// would: whether a given pod gets through also depends on that pod's
// egress policies. Pods that nothing isolates are NR001's; pods of shared
// namespaces are meant to be reached by everyone. When the analysis cannot
// be done within its bounds, one Info finding says so.
func (a *analysis) entireClusterFindings(ctx context.Context, iso [2]graph.Set) ([]Finding, error) {
	if a.opts.SkipExposure {
		return nil, nil
	}
	an, err := exposure.Analyze(ctx, a.orig, exposure.Options{Reach: a.m.Options(), OwnSideOnly: true})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		f := newFinding(EntireCluster, "", "exposure to pods that do not exist yet was not analysed: "+err.Error(),
			"Audit fewer namespaces at a time, or skip the analysis (SkipExposure).")
		f.Severity = Info
		return []Finding{f}, nil
	}
	type group struct {
		conn    string
		entries []int
		first   int
	}
	var out []Finding
	for _, ns := range a.namespaces {
		var groups []*group
		for c := range a.nC {
			if a.rep[c] == nil || a.rep[c].Namespace != ns || !a.podNet.Has(c) || !iso[policy.Ingress].Has(c) ||
				slices.Contains(a.opts.Shared, ns) {
				continue
			}
			i := a.members[c][0]
			conn := an.EntireCluster(i, policy.Ingress)
			if conn.Allowed.IsEmpty() {
				continue
			}
			txt := conn.Allowed.String()
			k := slices.IndexFunc(groups, func(g *group) bool { return g.conn == txt })
			if k < 0 {
				groups = append(groups, &group{conn: txt, first: i})
				k = len(groups) - 1
			}
			groups[k].entries = append(groups[k].entries, a.members[c]...)
		}
		for _, g := range groups {
			slices.Sort(g.entries)
			f := newFinding(EntireCluster, ns, fmt.Sprintf("the ingress policies of %s in namespace %s admit every pod of every namespace, pods and namespaces created later included, on %s: %s",
				countOf(len(g.entries), "pod"), ns, g.conn, a.entryList(g.entries, 5)),
				fmt.Sprintf("Restrict the ingress rules of %s that admit every namespace on %s to the namespaces and pods that need it.", ns, g.conn))
			f.Objects = a.endpointRefs(g.entries)
			a.addNewPodEvidence(&f, an, g.first)
			out = append(out, f)
		}
	}
	return out, nil
}

// addNewPodEvidence adds a pod that does not exist yet, reaching entry i,
// and the rule that lets it in.
func (a *analysis) addNewPodEvidence(f *Finding, an *exposure.Analysis, i int) {
	all := reachability.AllConnections(reachability.ScopeAllProtocols)
	w, ok, err := an.Find(exposure.Query{NewNamespaces: true}, i, policy.Ingress, all, nil)
	if err != nil || !ok || w.Allowed.IsEmpty() {
		return
	}
	snap, pod, err := an.SnapshotWith(w.Pod)
	if err != nil {
		return
	}
	var dst *policy.Endpoint
	for _, e := range snap.Endpoints {
		if e.ID() == a.m.Endpoint(i).ID() {
			dst = e
		}
	}
	r := w.Allowed.Ranges()
	if dst == nil || len(r) == 0 {
		return
	}
	flow := reachability.Flow{Src: reachability.EndpointEntity(pod), Dst: reachability.EndpointEntity(dst), Protocol: r[0].Protocol, Port: r[0].Lo}
	_, tr := reachability.NewEvaluator(snap, a.m.Options()).Evaluate(flow)
	line := fmt.Sprintf("new %s → %s on %s", w.Pod, dst.ID(), w.Allowed)
	if tr != nil {
		line += " (" + strings.Join(traceParts(f, tr), "; ") + ")"
		if d := tr.Ingress.Decider; d != nil && d.Source.IsValid() {
			f.Location = d.Source
		}
	}
	f.Evidence = append(f.Evidence, line)
}
