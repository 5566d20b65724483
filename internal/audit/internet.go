package audit

import (
	"fmt"
	"strings"

	"github.com/netreach/netreach/internal/access"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// maxVia bounds the ways in listed as evidence of one finding.
const maxVia = 5

// internetFindings reports the workloads every internet client reaches
// through a Service or a route (the "{internet}" entry of a matrix
// computed with package access) on ports where the workload's network
// policy admits every address outside the cluster: no policy limits the
// sources [docs/exposure-outside.md §2]. A matrix without access entries
// gives none.
func (a *analysis) internetFindings() []Finding {
	xs := access.OutsideExposure(a.m, a.opts.Access)
	if len(xs) == 0 {
		return nil
	}
	entry := map[string]int{}
	for i := 0; i < a.m.NumEndpoints(); i++ {
		entry[a.m.Name(i)] = i
	}
	var out []Finding
	for _, x := range xs {
		i, ok := entry[x.To]
		if x.From != access.Internet || !ok || x.Allowed.IsEmpty() {
			continue
		}
		open := a.unrestrictedPorts(i, x.Allowed)
		if len(open) == 0 {
			continue
		}
		e := a.m.Endpoint(i)
		f := newFinding(InternetExposed, e.Namespace,
			fmt.Sprintf("%s %s is reachable from every internet client on %s and its network policy admits every address on these ports", e.Kind, e.ID(), strings.Join(open, ", ")),
			"Restrict ingress to "+e.ID()+" on "+strings.Join(open, ", ")+" to the ingress controller's pods or the load balancer's address ranges.")
		f.Objects = []policy.ObjectRef{e.ObjectRef}
		for k, v := range x.Via {
			if k == maxVia {
				f.Evidence = append(f.Evidence, fmt.Sprintf("… %d more ways in", len(x.Via)-maxVia))
				break
			}
			f.Evidence = append(f.Evidence, "via "+v)
		}
		out = append(out, f)
	}
	return out
}

// unrestrictedPorts returns the port atoms of conns on which every
// external address atom may connect to endpoint entry i.
func (a *analysis) unrestrictedPorts(i int, conns reachability.Connections) []string {
	var out []string
	for p, pa := range a.ports {
		if pa.Others || !pa.Protocol.HasPorts() || !conns.Contains(pa.Protocol, pa.Lo) {
			continue
		}
		all := len(a.atoms) > 0
		for k := range a.atoms {
			if a.m.At(a.nE+k, i, p) != reachability.Allow {
				all = false
				break
			}
		}
		if all {
			out = append(out, pa.String())
		}
	}
	return out
}
