package policy

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/netreach/netreach/internal/policy/calicov3"
	"github.com/netreach/netreach/internal/selector"
)

// This file reads Calico's address management: IP pools, the pool
// annotations on namespaces and pods, and egress gateway policies; and
// gives every pod without an address the ranges Calico IPAM would
// allocate it from (docs/calico-ipam.md).

func init() {
	for _, v := range []string{"projectcalico.org/v3", "crd.projectcalico.org/v1"} {
		register(v, calicov3.KindIPPool, (*Loader).addIPPool)
		register(v, calicov3.KindEgressGatewayPolicy, (*Loader).addEgressGatewayPolicy)
	}
}

// Annotations Calico reads on pods and namespaces (docs/calico-ipam.md).
const (
	// AnnotationIPv4Pools and AnnotationIPv6Pools list, as a JSON array,
	// the names or CIDRs of the pools a pod's address must come from.
	AnnotationIPv4Pools = "cni.projectcalico.org/ipv4pools"
	AnnotationIPv6Pools = "cni.projectcalico.org/ipv6pools"
	// AnnotationIPAddrs lists, as a JSON array, the exact addresses a
	// pod asks for (pods only).
	AnnotationIPAddrs = "cni.projectcalico.org/ipAddrs"
	// AnnotationEgressSelector and AnnotationEgressNamespaceSelector
	// (Calico Enterprise) select the egress gateway pods a pod's traffic
	// to outside the cluster leaves through.
	AnnotationEgressSelector          = "egress.projectcalico.org/selector"
	AnnotationEgressNamespaceSelector = "egress.projectcalico.org/namespaceSelector"
	// AnnotationEgressGatewayPolicy names the EgressGatewayPolicy that
	// decides, per destination, whether and through which gateways.
	AnnotationEgressGatewayPolicy = "egress.projectcalico.org/egressGatewayPolicy"
)

// IPPool is a Calico IP pool, in the form the analysis uses.
type IPPool struct {
	ObjectRef
	CIDR        netip.Prefix
	NATOutgoing bool
	Disabled    bool
	// NodeSelector picks the nodes whose pods get addresses from the pool
	// when no annotation names a pool; all() when the spec leaves it out.
	NodeSelector selector.Selector
	// Workload is true when IPAM assigns pod addresses from the pool
	// (allowedUses empty or holding Workload).
	Workload bool
}

// EgressGatewayPolicy is a Calico Enterprise EgressGatewayPolicy.
type EgressGatewayPolicy struct {
	ObjectRef
	Rules []EgressGatewayRule
}

// EgressGatewayRule sends traffic to Destination through the gateways
// Gateway selects, or directly when Gateway is nil.
type EgressGatewayRule struct {
	Destination netip.Prefix
	Gateway     *GatewaySelector
	Description string
}

// GatewaySelector selects egress gateway pods: Selector on the pod's
// labels, NamespaceSelector on its namespace's labels (nil: the client
// pod's own namespace).
type GatewaySelector struct {
	Selector          selector.Selector
	NamespaceSelector *selector.Selector
}

// IPAMObjects holds the address-management objects of a snapshot.
type IPAMObjects struct {
	// Pools are sorted by name.
	Pools []*IPPool
	// EgressGatewayPolicies are sorted by name.
	EgressGatewayPolicies []*EgressGatewayPolicy
}

// Pool returns the pool with the given name, or nil.
func (o *IPAMObjects) Pool(name string) *IPPool {
	for _, p := range o.Pools {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// EgressGatewayPolicy returns the policy with the given name, or nil.
func (o *IPAMObjects) EgressGatewayPolicy(name string) *EgressGatewayPolicy {
	for _, p := range o.EgressGatewayPolicies {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// PoolOf returns the pool whose CIDR holds a, the most specific one when
// pools overlap, or nil.
func (o *IPAMObjects) PoolOf(a netip.Addr) *IPPool {
	var best *IPPool
	for _, p := range o.Pools {
		if p.CIDR.Contains(a) && (best == nil || p.CIDR.Bits() > best.CIDR.Bits()) {
			best = p
		}
	}
	return best
}

// InPools reports whether a lies inside any pool, enabled or not: Calico's
// natOutgoing leaves traffic to pool addresses untranslated.
func (o *IPAMObjects) InPools(a netip.Addr) bool { return o.PoolOf(a) != nil }

func (o *IPAMObjects) add(v any) bool {
	switch x := v.(type) {
	case *IPPool:
		o.Pools = append(o.Pools, x)
	case *EgressGatewayPolicy:
		o.EgressGatewayPolicies = append(o.EgressGatewayPolicies, x)
	default:
		return false
	}
	return true
}

func (o *IPAMObjects) sort() {
	sort.Slice(o.Pools, func(i, j int) bool { return o.Pools[i].Name < o.Pools[j].Name })
	sort.Slice(o.EgressGatewayPolicies, func(i, j int) bool {
		return o.EgressGatewayPolicies[i].Name < o.EgressGatewayPolicies[j].Name
	})
}

func (l *Loader) addIPPool(c *decodeCtx, j []byte) {
	var obj calicov3.IPPool
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, false) {
		return
	}
	if _, whole := c.report(obj.Validate()); whole {
		return
	}
	cidr, _ := obj.Prefix()
	p := &IPPool{ObjectRef: c.calicoRef(), CIDR: cidr, NATOutgoing: obj.Spec.NATOutgoing,
		Disabled: obj.Spec.Disabled, Workload: obj.ForWorkloads()}
	if obj.Spec.NodeSelector != "" {
		p.NodeSelector, _ = selector.Parse(obj.Spec.NodeSelector)
	}
	l.store(&loaded{ref: p.ObjectRef, obj: p, doc: c.doc, at: c.at}, p.Key())
}

func (l *Loader) addEgressGatewayPolicy(c *decodeCtx, j []byte) {
	var obj calicov3.EgressGatewayPolicy
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, false) {
		return
	}
	if _, whole := c.report(obj.Validate()); whole {
		return
	}
	p := &EgressGatewayPolicy{ObjectRef: c.calicoRef()}
	for _, r := range obj.Spec.Rules {
		rule := EgressGatewayRule{Destination: netip.MustParsePrefix("0.0.0.0/0"), Description: r.Description}
		if r.Destination != nil && r.Destination.CIDR != "" {
			rule.Destination = netip.MustParsePrefix(r.Destination.CIDR).Masked()
		}
		if g := r.Gateway; g != nil {
			gs := &GatewaySelector{}
			gs.Selector, _ = selector.Parse(g.Selector)
			if g.NamespaceSelector != "" {
				ns, _ := selector.Parse(g.NamespaceSelector)
				gs.NamespaceSelector = &ns
			}
			rule.Gateway = gs
		}
		p.Rules = append(p.Rules, rule)
	}
	l.store(&loaded{ref: p.ObjectRef, obj: p, doc: c.doc, at: c.at}, p.Key())
}

// calicoAnnotations keeps the annotations under cni.projectcalico.org/
// and egress.projectcalico.org/; others are not kept.
func calicoAnnotations(a map[string]string) map[string]string {
	var out map[string]string
	for k, v := range a {
		if strings.HasPrefix(k, "cni.projectcalico.org/") || strings.HasPrefix(k, "egress.projectcalico.org/") {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

// PoolSource says how a pod's address ranges were chosen.
type PoolSource string

// Pool sources, in Calico IPAM's order of precedence (docs/calico-ipam.md).
const (
	PoolsByAddress             PoolSource = "pod annotation " + AnnotationIPAddrs
	PoolsByPodAnnotation       PoolSource = "pod annotation"
	PoolsByNamespaceAnnotation PoolSource = "namespace annotation"
	PoolsByNodeSelector        PoolSource = "pool node selectors"
)

// assignPools gives every pod on the pod network without an address the
// ranges Calico IPAM would allocate it from, per family: the pools the
// pod's annotation names, else those its namespace's annotation names,
// else the enabled workload pools whose nodeSelector matches its node (or
// could match a node, when the node is not known) [docs/calico-ipam.md].
func (s *Snapshot) assignPools(l *Loader) {
	s.checkEgressAnnotations(l)
	if len(s.IPAM.Pools) == 0 {
		return
	}
	for _, e := range s.Endpoints {
		if len(e.IPs) > 0 || e.HostNetwork {
			continue
		}
		if v, ok := e.CalicoAnnotations[AnnotationIPAddrs]; ok {
			if addrs, ok := s.parseAddrAnnotation(l, e, v); ok {
				e.PoolRanges, e.PoolSource = addrs, PoolsByAddress
				continue
			}
		}
		var ns map[string]string
		if n := s.Namespace(e.Namespace); n != nil {
			ns = n.CalicoAnnotations
		}
		for _, fam := range []struct {
			key string
			v4  bool
		}{{AnnotationIPv4Pools, true}, {AnnotationIPv6Pools, false}} {
			var pools []*IPPool
			var src PoolSource
			if v, ok := e.CalicoAnnotations[fam.key]; ok {
				pools, src = s.annotatedPools(l, e.ObjectRef, fam.key, v, fam.v4), PoolsByPodAnnotation
			} else if v, ok := ns[fam.key]; ok {
				pools, src = s.annotatedPools(l, s.Namespace(e.Namespace).ObjectRef, fam.key, v, fam.v4), PoolsByNamespaceAnnotation
			} else {
				pools, src = s.nodePools(e, fam.v4), PoolsByNodeSelector
			}
			for _, p := range pools {
				e.PoolRanges = append(e.PoolRanges, p.CIDR)
				e.Pools = append(e.Pools, p.Name)
			}
			if len(pools) > 0 && (e.PoolSource == "" || fam.v4) {
				e.PoolSource = src
			}
		}
	}
}

// checkEgressAnnotations warns about egress gateway annotations of pods
// and namespaces that name no EgressGatewayPolicy of the input or hold a
// selector that does not parse: netreach egress then ignores them.
func (s *Snapshot) checkEgressAnnotations(l *Loader) {
	check := func(ref ObjectRef, ann map[string]string) {
		if name, ok := ann[AnnotationEgressGatewayPolicy]; ok && s.IPAM.EgressGatewayPolicy(name) == nil {
			l.add(annotationDiag(ref, "metadata.annotations."+AnnotationEgressGatewayPolicy,
				fmt.Sprintf("%s names no EgressGatewayPolicy of the input; netreach egress ignores it", quote(name))))
		}
		for _, k := range []string{AnnotationEgressSelector, AnnotationEgressNamespaceSelector} {
			if v, ok := ann[k]; ok {
				if _, err := selector.Parse(v); err != nil {
					l.add(annotationDiag(ref, "metadata.annotations."+k, fmt.Sprintf("%v; netreach egress ignores it", err)))
				}
			}
		}
	}
	for _, ns := range s.Namespaces {
		check(ns.ObjectRef, ns.CalicoAnnotations)
	}
	for _, e := range s.Endpoints {
		check(e.ObjectRef, e.CalicoAnnotations)
	}
}

// nodePools returns the enabled workload pools of the family whose
// nodeSelector matches the pod's node. A pod that names no node (a
// workload template) can land on any node of the input: a pool counts when
// it matches one of them. When the pod's node is not in the input, or no
// node is, a pool counts unless its selector is "!all()".
func (s *Snapshot) nodePools(e *Endpoint, v4 bool) []*IPPool {
	var out []*IPPool
	node := s.Node(e.Node)
	for _, p := range s.IPAM.Pools {
		if p.Disabled || !p.Workload || p.CIDR.Addr().Is4() != v4 {
			continue
		}
		switch {
		case node != nil:
			if !p.NodeSelector.Matches(node.Labels) {
				continue
			}
		case e.Node == "" && len(s.Nodes) > 0:
			matched := false
			for _, n := range s.Nodes {
				if p.NodeSelector.Matches(n.Labels) {
					matched = true
					break
				}
			}
			if !matched {
				continue
			}
		default:
			// The node is not known: any pool whose selector can match a
			// node. "!all()" (the usual way to keep a pool for annotated
			// pods only) matches none.
			if p.NodeSelector.IsNothing() {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

// annotatedPools resolves a pool annotation (a JSON array of pool names or
// CIDRs) of the object at ref. Entries that name no pool of the family, or
// a disabled pool, are reported and left out: Calico IPAM refuses them.
func (s *Snapshot) annotatedPools(l *Loader, ref ObjectRef, key, v string, v4 bool) []*IPPool {
	var names []string
	field := "metadata.annotations." + key
	if err := json.Unmarshal([]byte(v), &names); err != nil {
		l.add(annotationDiag(ref, field, fmt.Sprintf("invalid value %s: want a JSON array of pool names or CIDRs", quote(v))))
		return nil
	}
	var out []*IPPool
	for _, n := range names {
		var p *IPPool
		if pr, err := netip.ParsePrefix(n); err == nil {
			for _, q := range s.IPAM.Pools {
				if q.CIDR == pr.Masked() {
					p = q
				}
			}
		} else {
			p = s.IPAM.Pool(n)
		}
		switch {
		case p == nil:
			l.add(annotationDiag(ref, field, fmt.Sprintf("%s names no IPPool of the input; Calico IPAM would refuse to start the pod", quote(n))))
		case p.CIDR.Addr().Is4() != v4:
			l.add(annotationDiag(ref, field, fmt.Sprintf("IPPool %s is not of this annotation's family", quote(n))))
		case p.Disabled:
			l.add(annotationDiag(ref, field, fmt.Sprintf("IPPool %s is disabled; Calico IPAM assigns no addresses from it", quote(n))))
		default:
			out = append(out, p)
		}
	}
	return out
}

// parseAddrAnnotation reads cni.projectcalico.org/ipAddrs: the exact
// addresses the pod will have.
func (s *Snapshot) parseAddrAnnotation(l *Loader, e *Endpoint, v string) ([]netip.Prefix, bool) {
	var list []string
	field := "metadata.annotations." + AnnotationIPAddrs
	if err := json.Unmarshal([]byte(v), &list); err != nil || len(list) == 0 {
		l.add(annotationDiag(e.ObjectRef, field, fmt.Sprintf("invalid value %s: want a JSON array of IP addresses", quote(v))))
		return nil, false
	}
	var out []netip.Prefix
	for _, a := range list {
		ip, err := netip.ParseAddr(a)
		if err != nil {
			l.add(annotationDiag(e.ObjectRef, field, fmt.Sprintf("invalid IP address %s", quote(a))))
			return nil, false
		}
		ip = ip.Unmap()
		out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
	}
	return out, true
}

func annotationDiag(ref ObjectRef, field, msg string) Diagnostic {
	return Diagnostic{Severity: Warning, Location: ref.Source, Kind: ref.Kind, Namespace: ref.Namespace, Name: ref.Name, Field: field, Msg: msg}
}
