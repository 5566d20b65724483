package reachability

import "github.com/netreach/netreach/internal/policy"

// CutPortAtoms returns the port atoms Compute cuts for the program and the
// endpoints: each protocol's ports cut at every boundary a rule mentions
// and at every named container port a rule's name resolves to, one atom
// per other protocol a rule names, and, in calico mode, one for the
// protocols none names. Analyses that must agree with the matrix
// (package exposure) cut the same way.
func CutPortAtoms(p *policy.Program, eps []*policy.Endpoint) []PortAtom {
	classes := make([]class, len(eps))
	for i, ep := range eps {
		classes[i].rep = ep
	}
	return tallyOf(p, nil).portAtoms(p.Mode, classes, nil)
}

// CutExternalAtoms returns the external atoms Compute cuts for the
// program and the snapshot: the address space cut at every CIDR a rule or
// network set mentions and at every node address; IPv6 atoms only when a
// range or an endpoint is IPv6.
func CutExternalAtoms(p *policy.Program, s *policy.Snapshot) []ExternalAtom {
	f := factsOf(s)
	return tallyOf(p, nil).atoms(p, s, nil, &f)
}

// NetworkSetMatches reports whether the network set is a known entity that
// satisfies id, as the engine decides it: network sets inherit their
// namespace's labels (Calico's in calico mode) but no service-account
// labels [docs/semantics.md §3.5].
func NetworkSetMatches(s *policy.Snapshot, ns *policy.NetworkSetIR, id *policy.Identity, calico bool) bool {
	return networkSetMatches(s, ns, id, calico)
}
