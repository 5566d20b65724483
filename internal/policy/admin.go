package policy

import (
	"fmt"
	"net/netip"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	anpv1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	cnpv1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"

	"github.com/netreach/netreach/internal/selector"
)

func init() {
	register("policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy", (*Loader).addANP)
	register("policy.networking.k8s.io/v1alpha1", "BaselineAdminNetworkPolicy", (*Loader).addBANP)
	register("policy.networking.k8s.io/v1alpha2", "ClusterNetworkPolicy", (*Loader).addCNP)
}

// AdminTier says where a cluster-wide policy sits: before NetworkPolicies
// (Admin) or after them (Baseline).
type AdminTier uint8

// Admin tiers.
const (
	TierAdmin AdminTier = iota
	TierBaseline
)

// String returns "Admin" or "Baseline".
func (t AdminTier) String() string {
	if t == TierBaseline {
		return "Baseline"
	}
	return "Admin"
}

// AdminPolicy is an AdminNetworkPolicy, a BaselineAdminNetworkPolicy or a
// ClusterNetworkPolicy, normalised into one form after validation: the
// three share subjects, peers, ports and first-match rule semantics
// [docs/semantics.md §4]. The original object is kept in Object.
type AdminPolicy struct {
	ObjectRef
	Tier AdminTier
	// Priority orders policies of a tier, lower first. A
	// BaselineAdminNetworkPolicy (a singleton without priority) gets 1000.
	Priority int32
	Subject  AdminSubject
	Ingress  []AdminRule
	Egress   []AdminRule
	// Object is the decoded *v1alpha1.AdminNetworkPolicy,
	// *v1alpha1.BaselineAdminNetworkPolicy or *v1alpha2.ClusterNetworkPolicy.
	Object any
}

// Rules returns the rules of a direction.
func (p *AdminPolicy) Rules(d Direction) []AdminRule {
	if d == Egress {
		return p.Egress
	}
	return p.Ingress
}

// AdminSubject selects the pods a cluster-wide policy applies to: the pods
// of the namespaces Namespaces selects, or the pods Pods selects.
type AdminSubject struct {
	Namespaces *selector.Selector
	Pods       *NamespacedPods
}

// NamespacedPods selects pods by namespace labels and pod labels.
type NamespacedPods struct {
	NamespaceSelector selector.Selector
	PodSelector       selector.Selector
}

// AdminRule is one rule of a cluster-wide policy.
type AdminRule struct {
	Name string
	// Action is ActionAllow (Allow, Accept), ActionDeny or ActionPass.
	Action ActionKind
	Peers  []AdminPeer
	// Ports are ORed; nil means every port of every protocol.
	Ports  []PortMatch
	Source Location
	// DenyAll marks a Deny or Pass rule with a peer the API does not allow
	// (no field set): it fails closed by denying everything [docs/semantics.md §4.1].
	DenyAll bool
	// MatchNothing marks an Allow rule with such a peer: it fails closed by
	// matching nothing.
	MatchNothing bool
}

// ActionKind is the verdict of a rule of a cluster-wide policy.
type ActionKind = Action

// AdminPeer is one peer of a cluster-wide policy rule; exactly one field
// is set.
type AdminPeer struct {
	Namespaces  *selector.Selector
	Pods        *NamespacedPods
	Nodes       *selector.Selector
	Networks    []netip.Prefix
	DomainNames []string
}

// AdminPolicies holds the cluster-wide policies, sorted by tier, priority
// and name.
type AdminPolicies struct {
	Policies []*AdminPolicy
}

func (a *AdminPolicies) add(o any) bool {
	p, ok := o.(*AdminPolicy)
	if ok {
		a.Policies = append(a.Policies, p)
	}
	return ok
}

func (a *AdminPolicies) sort() {
	sort.SliceStable(a.Policies, func(i, j int) bool {
		x, y := a.Policies[i], a.Policies[j]
		if x.Tier != y.Tier {
			return x.Tier < y.Tier
		}
		if x.Priority != y.Priority {
			return x.Priority < y.Priority
		}
		if x.Name != y.Name {
			return x.Name < y.Name
		}
		return x.Kind < y.Kind
	})
}

// adminCtx validates and converts the parts of the three APIs.
type adminCtx struct {
	*decodeCtx
}

func (c adminCtx) sel(path string, ls *metav1.LabelSelector) (*selector.Selector, bool) {
	if ls == nil {
		return nil, true
	}
	s, err := selector.FromLabelSelector(ls)
	if err != nil {
		c.errorf(path, "invalid label selector: %v", err)
		return nil, false
	}
	return &s, true
}

func (c adminCtx) pods(path string, p *anpv1alpha1.NamespacedPod) (*NamespacedPods, bool) {
	ns, ok1 := c.sel(path+".namespaceSelector", &p.NamespaceSelector)
	pod, ok2 := c.sel(path+".podSelector", &p.PodSelector)
	if !ok1 || !ok2 {
		return nil, false
	}
	return &NamespacedPods{NamespaceSelector: *ns, PodSelector: *pod}, true
}

func (c adminCtx) subject(path string, s anpv1alpha1.AdminNetworkPolicySubject) (AdminSubject, bool) {
	var out AdminSubject
	n := 0
	ok := true
	if s.Namespaces != nil {
		n++
		out.Namespaces, ok = c.sel(path+".namespaces", s.Namespaces)
	}
	if s.Pods != nil {
		n++
		var ok2 bool
		out.Pods, ok2 = c.pods(path+".pods", s.Pods)
		ok = ok && ok2
	}
	if n != 1 {
		c.errorf(path, "exactly one of namespaces or pods must be set, got %d; the policy is left out", n)
		return out, false
	}
	return out, ok
}

// peer converts one peer; fields are the ones the API allows in this
// position.
func (c adminCtx) peer(path string, ns *metav1.LabelSelector, pods *anpv1alpha1.NamespacedPod, nodes *metav1.LabelSelector, networks []string, domains []string) (AdminPeer, bool) {
	var p AdminPeer
	n := 0
	ok := true
	if ns != nil {
		n++
		p.Namespaces, ok = c.sel(path+".namespaces", ns)
	}
	if pods != nil {
		n++
		var ok2 bool
		p.Pods, ok2 = c.pods(path+".pods", pods)
		ok = ok && ok2
	}
	if nodes != nil {
		n++
		var ok2 bool
		p.Nodes, ok2 = c.sel(path+".nodes", nodes)
		ok = ok && ok2
	}
	if networks != nil {
		n++
		if len(networks) == 0 {
			c.errorf(path+".networks", "networks must list at least one CIDR")
			ok = false
		}
		for i, s := range networks {
			pfx, masked, err := ParseCIDR(s)
			if err != nil {
				c.errorf(fmt.Sprintf("%s.networks[%d]", path, i), "%v", err)
				ok = false
				continue
			}
			if masked {
				c.warnf(fmt.Sprintf("%s.networks[%d]", path, i), "CIDR %q is read as %s", s, pfx)
			}
			p.Networks = append(p.Networks, pfx)
		}
	}
	if domains != nil {
		n++
		if len(domains) == 0 {
			c.errorf(path+".domainNames", "domainNames must list at least one name")
			ok = false
		}
		p.DomainNames = domains
	}
	if n != 1 {
		c.errorf(path, "a peer must set exactly one field, got %d", n)
		return p, false
	}
	return p, ok
}

// ports converts ANP ports (v1alpha1): portNumber, portRange (protocol
// defaults to TCP) or namedPort. nil means every port.
func (c adminCtx) ports(path string, ports *[]anpv1alpha1.AdminNetworkPolicyPort) ([]PortMatch, bool) {
	if ports == nil {
		return nil, true
	}
	if len(*ports) == 0 {
		c.errorf(path, "ports must list at least one port when set")
		return nil, false
	}
	ok := true
	out := []PortMatch{}
	for i, p := range *ports {
		pat := fmt.Sprintf("%s[%d]", path, i)
		n := 0
		if p.PortNumber != nil {
			n++
			proto, good := c.protocol(pat+".portNumber.protocol", string(p.PortNumber.Protocol))
			if good && c.portNumber(pat+".portNumber.port", p.PortNumber.Port) {
				out = append(out, PortMatch{Protocol: proto, Lo: uint16(p.PortNumber.Port), Hi: uint16(p.PortNumber.Port)})
			} else {
				ok = false
			}
		}
		if p.PortRange != nil {
			n++
			proto, good := c.protocol(pat+".portRange.protocol", string(p.PortRange.Protocol))
			good = c.portNumber(pat+".portRange.start", p.PortRange.Start) && good
			good = c.portNumber(pat+".portRange.end", p.PortRange.End) && good
			if good && p.PortRange.End < p.PortRange.Start {
				c.errorf(pat+".portRange", "end %d must not be less than start %d", p.PortRange.End, p.PortRange.Start)
				good = false
			}
			if good {
				out = append(out, PortMatch{Protocol: proto, Lo: uint16(p.PortRange.Start), Hi: uint16(p.PortRange.End)})
			} else {
				ok = false
			}
		}
		if p.NamedPort != nil {
			n++
			if errs := validation.IsValidPortName(*p.NamedPort); len(errs) > 0 {
				c.errorf(pat+".namedPort", "invalid named port %q: %s", *p.NamedPort, errs[0])
				ok = false
			} else {
				out = append(out, PortMatch{Name: *p.NamedPort})
			}
		}
		if n != 1 {
			c.errorf(pat, "exactly one of portNumber, portRange or namedPort must be set, got %d", n)
			ok = false
		}
	}
	return out, ok
}

// protocol reads a protocol that defaults to TCP when absent [docs/semantics.md
// 4.4].
func (c adminCtx) protocol(path, s string) (Protocol, bool) {
	if s == "" {
		return TCP, true
	}
	p, err := ParseKubeProtocol(s)
	if err != nil {
		c.errorf(path, "%v", err)
		return 0, false
	}
	return p, true
}

func (c adminCtx) portNumber(path string, n int32) bool {
	if n < 1 || n > 65535 {
		c.errorf(path, "invalid port %d: expected 1-65535", n)
		return false
	}
	return true
}

// rule finishes a converted rule: a rule with an invalid peer fails
// closed [docs/semantics.md §4.1; C-CNP]: Allow matches nothing, Deny and Pass deny
// everything.
func finishAdminRule(r AdminRule, peersOK bool) AdminRule {
	if peersOK {
		return r
	}
	if r.Action == ActionAllow {
		r.MatchNothing = true
	} else {
		r.DenyAll = true
	}
	return r
}

func (c adminCtx) action(path, s string, allowed ...string) (Action, bool) {
	for _, a := range allowed {
		if s != a {
			continue
		}
		switch s {
		case "Allow", "Accept":
			return ActionAllow, true
		case "Deny":
			return ActionDeny, true
		case "Pass":
			return ActionPass, true
		}
	}
	c.errorf(path, "unsupported action %q: expected %s", s, joinOr(allowed))
	return ActionDeny, false
}

func joinOr(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	s := xs[0]
	for _, x := range xs[1 : len(xs)-1] {
		s += ", " + x
	}
	return s + " or " + xs[len(xs)-1]
}

// stringsOf converts a list of string-like values (CIDRs, domain names),
// keeping nil apart from empty.
func stringsOf[T ~string](xs []T) []string {
	if xs == nil {
		return nil
	}
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// anpIngressPeers converts the ingress peers of an ANP or BANP rule (the
// two APIs share the peer type).
func anpIngressPeers(from []anpv1alpha1.AdminNetworkPolicyIngressPeer) []rawPeer {
	var out []rawPeer
	for _, pe := range from {
		out = append(out, rawPeer{namespaces: pe.Namespaces, pods: pe.Pods})
	}
	return out
}

// rawPeer is a peer of any of the three APIs before conversion.
type rawPeer struct {
	namespaces *metav1.LabelSelector
	pods       *anpv1alpha1.NamespacedPod
	nodes      *metav1.LabelSelector
	networks   []string
	domains    []string
}

// rawRule is a rule of any of the three APIs before conversion; ports
// converts its ports (ANP ports or CNP protocols) at a field path.
type rawRule struct {
	name, action string
	peers        []rawPeer
	ports        func(path string) ([]PortMatch, bool)
}

// rules converts the rules of one direction: dir is "ingress" or
// "egress", peerField "from" or "to", actions the API's action names
// (the first one the allow, which alone may carry domainNames).
func (ac adminCtx) rules(dir, peerField string, raws []rawRule, actions ...string) []AdminRule {
	var out []AdminRule
	for i, r := range raws {
		at := fmt.Sprintf("spec.%s[%d]", dir, i)
		act, ok := ac.action(at+".action", r.action, actions...)
		rule := AdminRule{Name: r.name, Action: act, Source: ac.field(at)}
		ok = ac.peerCount(at+"."+peerField, len(r.peers)) && ok
		for k, pe := range r.peers {
			pat := fmt.Sprintf("%s.%s[%d]", at, peerField, k)
			peer, good := ac.peer(pat, pe.namespaces, pe.pods, pe.nodes, pe.networks, pe.domains)
			if good && len(peer.DomainNames) > 0 && act != ActionAllow {
				ac.errorf(pat+".domainNames", "domainNames peers are only allowed in %s rules", actions[0])
				good = false
			}
			ok = ok && good
			rule.Peers = append(rule.Peers, peer)
		}
		var good bool
		rule.Ports, good = r.ports(at)
		out = append(out, finishAdminRule(rule, ok && good))
	}
	return out
}

func (c adminCtx) peerCount(path string, n int) bool {
	if n == 0 {
		c.errorf(path, "a rule must list at least one peer")
		return false
	}
	return true
}

// anpPorts returns the converter of an ANP or BANP rule's ports.
func (c adminCtx) anpPorts(ports *[]anpv1alpha1.AdminNetworkPolicyPort) func(string) ([]PortMatch, bool) {
	return func(at string) ([]PortMatch, bool) { return c.ports(at+".ports", ports) }
}

func (l *Loader) addANP(c *decodeCtx, j []byte) {
	var obj anpv1alpha1.AdminNetworkPolicy
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, false) {
		return
	}
	ac := adminCtx{c}
	p := &AdminPolicy{ObjectRef: c.ref(), Tier: TierAdmin, Priority: obj.Spec.Priority, Object: &obj}
	if obj.Spec.Priority < 0 || obj.Spec.Priority > 1000 {
		c.errorf("spec.priority", "priority %d out of range: expected 0-1000", obj.Spec.Priority)
	}
	var ok bool
	if p.Subject, ok = ac.subject("spec.subject", obj.Spec.Subject); !ok {
		return
	}
	var in, eg []rawRule
	for _, r := range obj.Spec.Ingress {
		rr := rawRule{name: r.Name, action: string(r.Action), ports: ac.anpPorts(r.Ports)}
		rr.peers = anpIngressPeers(r.From)
		in = append(in, rr)
	}
	for _, r := range obj.Spec.Egress {
		rr := rawRule{name: r.Name, action: string(r.Action), ports: ac.anpPorts(r.Ports)}
		for _, pe := range r.To {
			rr.peers = append(rr.peers, rawPeer{namespaces: pe.Namespaces, pods: pe.Pods, nodes: pe.Nodes,
				networks: stringsOf(pe.Networks), domains: stringsOf(pe.DomainNames)})
		}
		eg = append(eg, rr)
	}
	p.Ingress = ac.rules("ingress", "from", in, "Allow", "Deny", "Pass")
	p.Egress = ac.rules("egress", "to", eg, "Allow", "Deny", "Pass")
	l.store(&loaded{ref: p.ObjectRef, obj: p, doc: c.doc, at: c.at}, p.Key())
}

func (l *Loader) addBANP(c *decodeCtx, j []byte) {
	var obj anpv1alpha1.BaselineAdminNetworkPolicy
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, false) {
		return
	}
	if obj.Name != "default" {
		c.errorf("metadata.name", "a BaselineAdminNetworkPolicy must be named \"default\", got %q; the policy is left out", obj.Name)
		return
	}
	ac := adminCtx{c}
	p := &AdminPolicy{ObjectRef: c.ref(), Tier: TierBaseline, Priority: 1000, Object: &obj}
	var ok bool
	if p.Subject, ok = ac.subject("spec.subject", obj.Spec.Subject); !ok {
		return
	}
	var in, eg []rawRule
	for _, r := range obj.Spec.Ingress {
		rr := rawRule{name: r.Name, action: string(r.Action), ports: ac.anpPorts(r.Ports)}
		rr.peers = anpIngressPeers(r.From)
		in = append(in, rr)
	}
	for _, r := range obj.Spec.Egress {
		rr := rawRule{name: r.Name, action: string(r.Action), ports: ac.anpPorts(r.Ports)}
		for _, pe := range r.To {
			rr.peers = append(rr.peers, rawPeer{namespaces: pe.Namespaces, pods: pe.Pods, nodes: pe.Nodes, networks: stringsOf(pe.Networks)})
		}
		eg = append(eg, rr)
	}
	p.Ingress = ac.rules("ingress", "from", in, "Allow", "Deny")
	p.Egress = ac.rules("egress", "to", eg, "Allow", "Deny")
	l.store(&loaded{ref: p.ObjectRef, obj: p, doc: c.doc, at: c.at}, p.Key())
}

func (l *Loader) addCNP(c *decodeCtx, j []byte) {
	var obj cnpv1alpha2.ClusterNetworkPolicy
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, false) {
		return
	}
	ac := adminCtx{c}
	p := &AdminPolicy{ObjectRef: c.ref(), Priority: obj.Spec.Priority, Object: &obj}
	switch obj.Spec.Tier {
	case cnpv1alpha2.AdminTier:
		p.Tier = TierAdmin
	case cnpv1alpha2.BaselineTier:
		p.Tier = TierBaseline
	default:
		c.errorf("spec.tier", "unsupported tier %q: expected Admin or Baseline; the policy is left out", obj.Spec.Tier)
		return
	}
	if obj.Spec.Priority < 0 || obj.Spec.Priority > 1000 {
		c.errorf("spec.priority", "priority %d out of range: expected 0-1000", obj.Spec.Priority)
	}
	var ok bool
	sub := anpv1alpha1.AdminNetworkPolicySubject{Namespaces: obj.Spec.Subject.Namespaces}
	if obj.Spec.Subject.Pods != nil {
		sub.Pods = &anpv1alpha1.NamespacedPod{NamespaceSelector: obj.Spec.Subject.Pods.NamespaceSelector, PodSelector: obj.Spec.Subject.Pods.PodSelector}
	}
	if p.Subject, ok = ac.subject("spec.subject", sub); !ok {
		return
	}
	cnpPods := func(np *cnpv1alpha2.NamespacedPod) *anpv1alpha1.NamespacedPod {
		if np == nil {
			return nil
		}
		return &anpv1alpha1.NamespacedPod{NamespaceSelector: np.NamespaceSelector, PodSelector: np.PodSelector}
	}
	protocols := func(ps []cnpv1alpha2.ClusterNetworkPolicyProtocol) func(string) ([]PortMatch, bool) {
		return func(at string) ([]PortMatch, bool) { return ac.cnpProtocols(at+".protocols", ps) }
	}
	var in, eg []rawRule
	for _, r := range obj.Spec.Ingress {
		rr := rawRule{name: r.Name, action: string(r.Action), ports: protocols(r.Protocols)}
		for _, pe := range r.From {
			rr.peers = append(rr.peers, rawPeer{namespaces: pe.Namespaces, pods: cnpPods(pe.Pods)})
		}
		in = append(in, rr)
	}
	for _, r := range obj.Spec.Egress {
		rr := rawRule{name: r.Name, action: string(r.Action), ports: protocols(r.Protocols)}
		for _, pe := range r.To {
			rr.peers = append(rr.peers, rawPeer{namespaces: pe.Namespaces, pods: cnpPods(pe.Pods), nodes: pe.Nodes,
				networks: stringsOf(pe.Networks), domains: stringsOf(pe.DomainNames)})
		}
		eg = append(eg, rr)
	}
	p.Ingress = ac.rules("ingress", "from", in, "Accept", "Deny", "Pass")
	p.Egress = ac.rules("egress", "to", eg, "Accept", "Deny", "Pass")
	l.store(&loaded{ref: p.ObjectRef, obj: p, doc: c.doc, at: c.at}, p.Key())
}

// cnpProtocols converts CNP protocols: each entry one of tcp, udp, sctp
// (with a destinationPort number or range) or destinationNamedPort. nil
// means every protocol and port.
func (c adminCtx) cnpProtocols(path string, ps []cnpv1alpha2.ClusterNetworkPolicyProtocol) ([]PortMatch, bool) {
	if ps == nil {
		return nil, true
	}
	if len(ps) == 0 {
		c.errorf(path, "protocols must list at least one entry when set")
		return nil, false
	}
	ok := true
	out := []PortMatch{}
	for i, p := range ps {
		pat := fmt.Sprintf("%s[%d]", path, i)
		n := 0
		add := func(proto Protocol, field string, dp *cnpv1alpha2.Port) {
			n++
			if dp == nil {
				c.errorf(pat+"."+field, "%s needs destinationPort (all %s ports is the range 1-65535)", field, proto)
				ok = false
				out = append(out, PortMatch{Protocol: proto, Lo: 1, Hi: 65535})
				return
			}
			switch {
			case dp.Range != nil && dp.Number != 0:
				c.errorf(pat+"."+field+".destinationPort", "exactly one of number or range must be set")
				ok = false
			case dp.Range != nil:
				r := dp.Range
				if c.portNumber(pat+"."+field+".destinationPort.range.start", r.Start) &&
					c.portNumber(pat+"."+field+".destinationPort.range.end", r.End) {
					if r.End <= r.Start {
						c.errorf(pat+"."+field+".destinationPort.range", "end %d must be greater than start %d", r.End, r.Start)
						ok = false
					}
					out = append(out, PortMatch{Protocol: proto, Lo: uint16(r.Start), Hi: uint16(max(r.End, r.Start))})
				} else {
					ok = false
				}
			default:
				if c.portNumber(pat+"."+field+".destinationPort.number", dp.Number) {
					out = append(out, PortMatch{Protocol: proto, Lo: uint16(dp.Number), Hi: uint16(dp.Number)})
				} else {
					ok = false
				}
			}
		}
		if p.TCP != nil {
			add(TCP, "tcp", p.TCP.DestinationPort)
		}
		if p.UDP != nil {
			add(UDP, "udp", p.UDP.DestinationPort)
		}
		if p.SCTP != nil {
			add(SCTP, "sctp", p.SCTP.DestinationPort)
		}
		if p.DestinationNamedPort != "" {
			n++
			if errs := validation.IsValidPortName(p.DestinationNamedPort); len(errs) > 0 {
				c.errorf(pat+".destinationNamedPort", "invalid named port %q: %s", p.DestinationNamedPort, errs[0])
				ok = false
			} else {
				out = append(out, PortMatch{Name: p.DestinationNamedPort})
			}
		}
		if n != 1 {
			c.errorf(pat, "exactly one of tcp, udp, sctp or destinationNamedPort must be set, got %d", n)
			ok = false
		}
	}
	return out, ok
}
