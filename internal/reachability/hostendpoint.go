package reachability

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/policy/calicov3"
)

// Calico host endpoints in the engine (docs/calico-host-endpoints.md): each
// active HostEndpoint is an endpoint of its own class, a policy subject like
// a pod, with the extra tiers the lowering adds (failsafe, untracked,
// preDNAT, profiles). What depends on the pair rather than on the policies —
// traffic between a host endpoint and its own node — is set here.

// withHostEndpoints adds the host endpoints to the snapshot in calico mode.
func withHostEndpoints(s *policy.Snapshot, mode policy.Mode, opts Options, diags policy.Diagnostics) (*policy.Snapshot, policy.Diagnostics) {
	if mode != policy.ModeCalico || !s.HasHostEndpoints() {
		return s, diags
	}
	s, d := s.WithHostEndpoints(opts.HostEndpoints)
	return s, append(diags, d...)
}

// hasHostEndpoints reports whether the snapshot's endpoints include host
// endpoints.
func hasHostEndpoints(s *policy.Snapshot) bool {
	return slices.ContainsFunc(s.Endpoints, func(e *policy.Endpoint) bool { return e.Host != nil })
}

// describeHostOptions returns the options line part of host endpoint
// overrides.
func describeHostOptions(h policy.HostOptions) string {
	var parts []string
	list := func(ps []calicov3.ProtoPort) string {
		if len(ps) == 0 {
			return "none"
		}
		var s []string
		for _, p := range ps {
			s = append(s, p.String())
		}
		return strings.Join(s, ",")
	}
	if h.FailsafeInbound != nil {
		parts = append(parts, "failsafeInbound="+list(*h.FailsafeInbound))
	}
	if h.FailsafeOutbound != nil {
		parts = append(parts, "failsafeOutbound="+list(*h.FailsafeOutbound))
	}
	if h.EndpointToHost != nil {
		parts = append(parts, "endpointToHost="+h.EndpointToHost.String())
	}
	return strings.Join(parts, " ")
}

// hostOwnNode is what a host endpoint class sees of its own node.
type hostOwnNode struct {
	// pods are the pod-network classes on the node: the host always
	// reaches them; they reach the host as defaultEndpointToHostAction
	// says.
	pods []int
	// local are the host-network pods and the other host endpoints of the
	// node: traffic between them stays inside the host.
	local []int
	// fromPods is whether pods of the node may connect to the host.
	fromPods bool
}

// buildHostOwnNode finds, for each host endpoint class, the entries on its
// node [docs/calico-host-endpoints.md §6], and prepares the forwarded
// traffic checks (buildForward).
func (e *engine) buildHostOwnNode(s *policy.Snapshot) {
	e.hostOwn, e.fwd = nil, nil
	if !hasHostEndpoints(s) {
		return
	}
	byNode := map[string][]int{}
	for j, cl := range e.u.classes {
		if cl.rep.Node != "" {
			byNode[cl.rep.Node] = append(byNode[cl.rep.Node], j)
		}
	}
	e.hostOwn = make([]*hostOwnNode, e.u.nC)
	for i, cl := range e.u.classes {
		if cl.rep.Host == nil {
			continue
		}
		own := &hostOwnNode{fromPods: s.HostSettings(cl.rep.Node).EndpointToHost.Allows()}
		for _, j := range byNode[cl.rep.Node] {
			o := e.u.classes[j]
			switch {
			case j == i:
			case o.host || o.rep.Host != nil:
				own.local = append(own.local, j)
			default:
				own.pods = append(own.pods, j)
			}
		}
		e.hostOwn[i] = own
	}
	e.buildForward(byNode)
}

// hostOwnNodeBits sets the own-node entries of a host endpoint's row: its
// egress to the node's pods and host-local entries is allowed, its ingress
// from host-local entries too, and its ingress from the node's pods is
// what defaultEndpointToHostAction says.
func (e *engine) hostOwnNodeBits(d policy.Direction, s int, row graph.Set) {
	own := e.hostOwn[s]
	for _, j := range own.local {
		row.Add(j)
	}
	for _, j := range own.pods {
		if d == policy.Egress || own.fromPods {
			row.Add(j)
		} else {
			row.Remove(j)
		}
	}
}

// hostClasses returns the host endpoint classes a subject takes in.
func (c *compiler) hostClasses(sub *policy.Subject) graph.Set {
	s := graph.NewSet(c.u.nU)
	for i, cl := range c.u.classes {
		h := cl.rep.Host
		if h == nil || !sub.Hosts.Takes(h) {
			continue
		}
		if sub.HostIDs != nil {
			if slices.Contains(sub.HostIDs, cl.rep.ID()) {
				s.Add(i)
			}
			continue
		}
		if hostSubjectMatches(sub, c.labels[i]) {
			s.Add(i)
		}
	}
	return s
}

// hostSubjectMatches applies a GlobalNetworkPolicy's selectors to a host
// endpoint: the selector to its labels; a namespaceSelector as to any
// entity outside namespaces; a serviceAccountSelector to no labels, where
// all() ("has a service account") never matches
// [docs/calico-host-endpoints.md §2].
func hostSubjectMatches(sub *policy.Subject, labels map[string]string) bool {
	if sub.Namespace != "" || !sub.Selector.Matches(labels) {
		return false
	}
	if sub.NamespaceSelector != nil && !policy.MatchNamespaceSelector(*sub.NamespaceSelector, false, nil) {
		return false
	}
	if sas := sub.ServiceAccountSelector; sas != nil && (sas.IsAll() || !sas.Matches(nil)) {
		return false
	}
	return true
}

// hostIdentityMatches reports whether a host endpoint is a known entity
// satisfying id: it is outside namespaces and has no service account
// [docs/calico-host-endpoints.md §2].
func hostIdentityMatches(h *policy.HostEndpoint, id *policy.Identity) bool {
	switch {
	case id.Kinds&policy.KindHostEndpoint == 0, id.Namespace != "", len(id.ServiceAccountNames) > 0:
		return false
	case id.NamespaceSelector != nil && !policy.MatchNamespaceSelector(*id.NamespaceSelector, false, nil):
		return false
	case id.Selector != nil && !id.Selector.Matches(h.Labels):
		return false
	case id.ServiceAccountSelector != nil && !id.ServiceAccountSelector.Matches(nil):
		return false
	}
	return true
}

// hostAddressed returns the host endpoints of eps that have addresses,
// the only ones [hostIdentityAddrs] can find.
func hostAddressed(eps []*policy.Endpoint) []*policy.Endpoint {
	var hs []*policy.Endpoint
	for _, e := range eps {
		if e.Host != nil && len(e.IPs) > 0 {
			hs = append(hs, e)
		}
	}
	return hs
}

// hostIdentityAddrs returns the expected IPs of the host endpoints among
// hosts (as [hostAddressed] lists them) that satisfy id, or nil when none
// does. Calico resolves a selector to the addresses of what it matches, so
// these addresses match wherever they appear.
func hostIdentityAddrs(hosts []*policy.Endpoint, id *policy.Identity) *netipx.IPSet {
	var b netipx.IPSetBuilder
	found := false
	for _, e := range hosts {
		if hostIdentityMatches(e.Host, id) {
			for _, a := range e.IPs {
				b.Add(a)
			}
			found = true
		}
	}
	if !found {
		return nil
	}
	set, _ := b.IPSet()
	return set
}

// hostEndpointNote explains, for a trace, what a host endpoint is.
func hostEndpointNote(e *policy.Endpoint) string {
	h := e.Host
	what := fmt.Sprintf("interface %s", h.Interface)
	switch {
	case h.AllInterfaces():
		what = "all interfaces (interfaceName *)"
	case h.Interface == "":
		what = "the interface holding " + joinAddrs(h.ExpectedIPs)
	}
	return fmt.Sprintf("Calico %s %s: %s of node %s", h.Kind, h.Name, what, h.Node)
}

func joinAddrs(as []netip.Addr) string {
	var s []string
	for _, a := range as {
		s = append(s, a.String())
	}
	return strings.Join(s, ", ")
}

// forwarding holds the forwarded-traffic checks: traffic between a pod and
// anything outside its node crosses the host endpoint of the pod's node
// with interfaceName "*" (docs/calico-host-endpoints.md §7).
type forwarding struct {
	// host is, per class, the "*" host endpoint class of its node for pods
	// on the pod network, -1 otherwise or when no policy applies to the
	// host's forwarded traffic.
	host []int
	// pols are, per host endpoint class and direction, the policies of its
	// forwarded traffic in evaluation order: pre-DNAT ones (ingress), then
	// normal ones with applyOnForward.
	pols map[int][2][]int32
	// local is, per node, the entries whose traffic with the node's pods
	// never leaves the node: its classes and its own-node addresses.
	local map[string]graph.Set
}

// buildForward prepares the forwarded-traffic checks of pods on nodes with
// an interfaceName "*" host endpoint.
func (e *engine) buildForward(byNode map[string][]int) {
	kind := make([]string, len(e.policies)) // tier name per compiled policy
	aof := make([]bool, len(e.policies))    // applyOnForward
	k := 0
	for _, t := range e.prog.Tiers {
		for _, l := range t.Policies {
			kind[k] = t.Name
			if cp, ok := l.From.(*policy.CalicoPolicy); ok {
				aof[k] = cp.ApplyOnForward
			}
			k++
		}
	}
	f := &forwarding{host: make([]int, e.u.nC), pols: map[int][2][]int32{}, local: map[string]graph.Set{}}
	for i := range f.host {
		f.host[i] = -1
	}
	any := false
	for h, cl := range e.u.classes {
		if cl.rep.Host == nil || !cl.rep.Host.AllInterfaces() {
			continue
		}
		var pols [2][]int32
		for d := range pols {
			for _, pi := range e.applicable[d][h] {
				switch name := kind[pi]; {
				case strings.HasPrefix(name, policy.PreDNATPrefix):
					if policy.Direction(d) == policy.Ingress {
						pols[d] = append(pols[d], pi)
					}
				case name == policy.FailsafeTierName || name == policy.ProfileTierName || strings.HasPrefix(name, policy.UntrackedPrefix):
				default:
					if aof[pi] {
						pols[d] = append(pols[d], pi)
					}
				}
			}
		}
		if pols[0] == nil && pols[1] == nil {
			continue // nothing applies: forwarded traffic is allowed
		}
		node := cl.rep.Node
		f.pols[h] = pols
		local := graph.NewSet(e.u.nU)
		for _, j := range byNode[node] {
			local.Add(j)
		}
		for _, j := range byNode[node] {
			o := e.u.classes[j]
			if o.host || o.rep.Host != nil {
				continue
			}
			f.host[j] = h
			for _, x := range e.ownNode[j] {
				local.Add(x)
			}
			any = true
		}
		f.local[node] = local
	}
	if any {
		e.fwd = f
	}
}

// forwardPolicies returns the policies of the forwarded traffic of pod
// class s in direction d, or nil when none applies.
func (e *engine) forwardPolicies(d policy.Direction, s int) []int32 {
	if e.fwd == nil || s >= len(e.fwd.host) || e.fwd.host[s] < 0 {
		return nil
	}
	return e.fwd.pols[e.fwd.host[s]][d]
}

// ruleCode is how rule r treats port atom a for subject class s in
// direction d (see compiledRule).
func (e *engine) ruleCode(d policy.Direction, r *compiledRule, s, a int) uint32 {
	if d == policy.Egress {
		return r.egCode[a]
	}
	c := uint32(r.inCode[a])
	if c == codeSubject {
		c = codeNone
		if e.portOK(r, s, e.ports[a]) {
			c = codeAll
		}
	}
	return c
}

// forward applies the forwarded-traffic check of pod class s to its rows
// def and pos (nil without conditional rules) for port atom a: the peers
// outside the pod's node must also pass the policies of the node's "*"
// host endpoint, evaluated on the flow itself. With no rule deciding, the
// end of a normal tier denies, pre-DNAT tiers pass, and the end allows.
func (w *worker) forward(d policy.Direction, s int, pols []int32, a int, def, pos graph.Set) {
	e := w.e
	if w.fwdRows[0] == nil {
		w.fwdRows = [3]graph.Set{graph.NewSet(e.u.nU), graph.NewSet(e.u.nU), graph.NewSet(e.u.nU)}
	}
	local := e.fwd.local[e.u.classes[s].rep.Node]
	// Allowed for sure: allowed under every condition value and every
	// variant of the subject and its peers (pool classes); possibly: under
	// some (as in sides).
	all, some, tmp := w.fwdRows[0], w.fwdRows[1], w.fwdRows[2]
	nSelf, nPeer := e.variantLoops(d, s)
	first := true
	for vs := 0; vs < nSelf; vs++ {
		for vp := 0; vp < nPeer; vp++ {
			for c := 0; c < 2; c++ {
				if c == 1 && pos == nil {
					break
				}
				if first {
					w.sideWith(d, s, pols, a, c == 1, vs, vp, all, nil)
					some.CopyFrom(all)
					first = false
					continue
				}
				w.sideWith(d, s, pols, a, c == 1, vs, vp, tmp, nil)
				all.And(tmp)
				some.Or(tmp)
			}
		}
	}
	all.Or(local)
	def.And(all)
	if pos != nil {
		some.Or(local)
		pos.And(some)
	}
}
