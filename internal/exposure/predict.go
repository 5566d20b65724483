package exposure

import (
	"fmt"
	"net/netip"
	"slices"

	"go4.org/netipx"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/netreach/netreach/internal/bdd"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// Pod describes a hypothetical pod: one that the input does not hold but
// that could be created. It is the input of [Analysis.Predict].
type Pod struct {
	// Namespace is the pod's namespace: one of the input's, or a new one.
	Namespace string
	// NamespaceLabels are the labels of a new namespace (ignored for a
	// namespace of the input); kubernetes.io/metadata.name is implied.
	NamespaceLabels map[string]string
	// Labels are the pod's labels.
	Labels map[string]string
	// ServiceAccount is the pod's service account; "" means "default".
	ServiceAccount string
	// ServiceAccountLabels are the labels of a new service account: one
	// the input neither declares nor has an endpoint use in the pod's
	// namespace (ignored otherwise: such a service account keeps the
	// labels the input gives it, none when it is only used).
	ServiceAccountLabels map[string]string
	// Node is the node the pod runs on ("" for none).
	Node string
	// IPs are the pod's addresses: at most one per family, and at least
	// one. Without IPv6 in the input, the pod must have an IPv4 address
	// (see docs/exposure.md).
	IPs []netip.Addr
	// Ports are the pod's container ports.
	Ports []policy.ContainerPort
}

// Conn is what one end may open to the other: the connections allowed for
// sure, and those allowed only under a condition that cannot be checked
// offline (see reachability.Conditional).
type Conn struct {
	Allowed, Conditional reachability.Connections
}

// AddressConn is a Conn with a range of addresses outside the cluster's
// endpoints.
type AddressConn struct {
	Range netipx.IPRange
	Conn
}

// Prediction is the connectivity of a hypothetical pod once created: its
// row and column of the reachability matrix.
type Prediction struct {
	// To[i] is what the pod may open to endpoint i of the snapshot (in
	// Snapshot.Endpoints order); From[i] what endpoint i may open to it.
	To, From []Conn
	// ToAddresses and FromAddresses are the same for the address ranges
	// outside the cluster's endpoints, which cover the address space.
	// They are empty with Options.OwnSideOnly.
	ToAddresses, FromAddresses []AddressConn
}

// assignment is a hypothetical pod as values of the space's variables.
type assignment struct {
	vals []bool
	// declared maps protocol and port to the port names the pod declares
	// there (only names some rule uses).
	declared map[policy.Protocol]map[uint16][]string
}

func (as *assignment) value(v int) bool { return as.vals[v] }

// Predict returns the connectivity of the hypothetical pod p, from the
// analysis alone: the pod's place in the space (which namespace, which
// labels, …) picks the value of every decision diagram. The result equals
// the pod's row and column in reachability.Compute on the snapshot with
// the pod added, for any pod the space holds (docs/exposure.md); a pod
// outside it is an error. Predict is O(endpoint classes × port groups ×
// number of variables).
func (an *Analysis) Predict(p Pod) (*Prediction, error) {
	as, err := an.a.assign(p)
	if err != nil {
		return nil, err
	}
	a := an.a
	if !a.m.Eval(a.space.valid, as.value) {
		return nil, fmt.Errorf("exposure: predict: %w (internal error: the assignment breaks the space's constraint)", errNotInSpace)
	}
	others := a.others
	pr := &Prediction{To: make([]Conn, len(a.snap.Endpoints)), From: make([]Conn, len(a.snap.Endpoints))}
	classConn := make([][2]Conn, len(a.classes))
	for i, c := range a.classes {
		classConn[i][0] = an.connections(c.res.in, as, false, others)
		classConn[i][1] = an.connections(c.res.out, as, true, others)
	}
	for i := range a.snap.Endpoints {
		pr.To[i] = classConn[a.classOf[i]][0]
		pr.From[i] = classConn[a.classOf[i]][1]
	}
	if !an.opts.OwnSideOnly {
		for i, r := range a.ext {
			res := a.extRes[i]
			pr.ToAddresses = append(pr.ToAddresses, AddressConn{Range: r, Conn: an.connections(res.out, as, false, others)})
			pr.FromAddresses = append(pr.FromAddresses, AddressConn{Range: r, Conn: an.connections(res.in, as, true, others)})
		}
	}
	return pr, nil
}

// connections reads the verdicts per port group for the pod. When the pod
// is the destination (podIsDst), a port it declares under a name some rule
// uses is evaluated with that name's variable set.
func (an *Analysis) connections(v verdicts, as *assignment, podIsDst bool, others reachability.Connections) Conn {
	a := an.a
	out := Conn{Allowed: reachability.NoConnections(an.scope), Conditional: reachability.NoConnections(an.scope)}
	add := func(c *reachability.Connections, conn reachability.Connections) { *c = c.Union(conn) }
	for gi, g := range a.groups {
		cert, pos := v.cert[gi], v.pos[gi]
		decl := map[uint16][]string(nil)
		if podIsDst {
			decl = as.declared[g.proto]
		}
		for _, at := range g.atoms {
			conn := atomConnections(at, others, an.scope)
			var special []uint16
			for port := range decl {
				if at.Protocol.HasPorts() && port >= at.Lo && port <= at.Hi {
					special = append(special, port)
				}
			}
			slices.Sort(special)
			generic := conn
			for _, port := range special {
				generic = generic.Subtract(reachability.NoConnections(an.scope).WithPorts(at.Protocol, port, port))
			}
			eval := func(n bdd.Node, names []string) bool {
				for _, name := range names {
					as.vals[a.space.decl[name]] = true
				}
				r := a.m.Eval(n, as.value)
				for _, name := range names {
					as.vals[a.space.decl[name]] = false
				}
				return r
			}
			if !generic.IsEmpty() {
				switch {
				case eval(cert, nil):
					add(&out.Allowed, generic)
				case eval(pos, nil):
					add(&out.Conditional, generic)
				}
			}
			for _, port := range special {
				one := reachability.NoConnections(an.scope).WithPorts(at.Protocol, port, port)
				switch {
				case eval(cert, decl[port]):
					add(&out.Allowed, one)
				case eval(pos, decl[port]):
					add(&out.Conditional, one)
				}
			}
		}
	}
	return out
}

// assign places the pod in the space, or says why it is outside.
func (a *analyzer) assign(p Pod) (*assignment, error) {
	s := a.space
	fail := func(format string, args ...any) (*assignment, error) {
		return nil, fmt.Errorf("exposure: predict: %w: %s", errNotInSpace, fmt.Sprintf(format, args...))
	}
	if errs := validation.IsDNS1123Label(p.Namespace); len(errs) > 0 {
		return fail("namespace %q: %s", p.Namespace, errs[0])
	}
	for _, l := range []map[string]string{p.Labels, p.NamespaceLabels, p.ServiceAccountLabels} {
		for k, v := range l {
			if errs := validation.IsQualifiedName(k); len(errs) > 0 {
				return fail("label key %q: %s", k, errs[0])
			}
			if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
				return fail("label %s=%q: %s", k, v, errs[0])
			}
		}
	}
	sa := p.ServiceAccount
	if sa == "" {
		sa = "default"
	}
	if !syntaxSubdomain.valid(sa) {
		return fail("service account %q: the analysis covers DNS subdomain names shorter than 63 characters", sa)
	}
	as := &assignment{vals: make([]bool, s.nvars), declared: map[policy.Protocol]map[uint16][]string{}}
	setIdx := func(bitVars []int, v int) {
		for i, b := range bitVars {
			as.vals[b] = v>>(len(bitVars)-1-i)&1 == 1
		}
	}
	setVar := func(v *strVar, present bool, value string) {
		if v == nil {
			return
		}
		for i, at := range v.atoms {
			as.vals[v.vars[i]] = at.eval(present, value)
		}
	}
	// Namespace.
	if i, ok := s.nsIndex[p.Namespace]; ok {
		setIdx(s.ns.bits, i)
	} else {
		setIdx(s.ns.bits, len(s.nsNames))
		setVar(s.nsName, true, p.Namespace)
		for k, v := range s.nsLabel {
			val, ok := p.NamespaceLabels[k]
			setVar(v, ok, val)
		}
	}
	// Service account.
	if s.sa != nil {
		setVar(s.sa, true, sa)
		labels := p.ServiceAccountLabels
		for _, k := range s.knownServiceAccounts() {
			if k.namespace == p.Namespace && k.name == sa {
				labels = k.labels
			}
		}
		for k, v := range s.saLabel {
			val, ok := labels[k]
			setVar(v, ok, val)
		}
	}
	setVar(s.node, true, p.Node)
	// Addresses.
	var have [2]bool
	for _, ip := range p.IPs {
		ip = ip.Unmap()
		f := famIndex(famOfAddr(ip))
		if have[f] {
			return fail("two addresses of one family")
		}
		have[f] = true
		d := s.addr[f]
		if d == nil {
			return fail("address %s: the input uses no IPv6, so the analysis covers IPv4 pods only", ip)
		}
		if s.nodeAddrs[ip] != "" || a.addressTaken(ip) {
			return fail("address %s belongs to an input endpoint or node", ip)
		}
		k := slices.IndexFunc(d.atoms, func(r netipx.IPRange) bool { return r.Contains(ip) })
		if k < 0 {
			return fail("address %s is in no address atom (internal error)", ip)
		}
		setIdx(d.bits, k)
	}
	for f, d := range s.addr {
		if d != nil && !have[f] {
			setIdx(d.bits, d.none())
		}
	}
	if !have[0] && !have[1] {
		return fail("a pod has at least one address")
	}
	if s.addr[1] == nil && !have[0] {
		return fail("the input uses no IPv6, so the pod needs an IPv4 address")
	}
	// Labels.
	for k, v := range s.pod {
		val, ok := p.Labels[k]
		setVar(v, ok, val)
	}
	// Named ports: the names rules use, per protocol and number.
	for _, cp := range p.Ports {
		if _, used := s.decl[cp.Name]; !used || !cp.Protocol.HasPorts() || cp.Port == 0 {
			continue
		}
		m := as.declared[cp.Protocol]
		if m == nil {
			m = map[uint16][]string{}
			as.declared[cp.Protocol] = m
		}
		if !slices.Contains(m[cp.Port], cp.Name) {
			m[cp.Port] = append(m[cp.Port], cp.Name)
		}
	}
	return as, nil
}

// addressTaken reports whether an input endpoint has the address.
func (a *analyzer) addressTaken(ip netip.Addr) bool {
	for _, e := range a.snap.Endpoints {
		if slices.Contains(e.IPs, ip) {
			return true
		}
	}
	return false
}
