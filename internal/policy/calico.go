package policy

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netreach/netreach/internal/policy/calicov3"
	"github.com/netreach/netreach/internal/selector"
)

// CalicoGroup is the API group of Calico objects.
const CalicoGroup = "projectcalico.org"

func init() {
	for _, v := range []string{"projectcalico.org/v3", "crd.projectcalico.org/v1"} {
		register(v, "NetworkPolicy", (*Loader).addCalicoNetworkPolicy)
		register(v, "GlobalNetworkPolicy", (*Loader).addCalicoGlobalNetworkPolicy)
		register(v, "StagedNetworkPolicy", (*Loader).addCalicoStagedNetworkPolicy)
		register(v, "StagedGlobalNetworkPolicy", (*Loader).addCalicoStagedGlobalNetworkPolicy)
		register(v, "StagedKubernetesNetworkPolicy", (*Loader).addCalicoStagedKubernetesNetworkPolicy)
		register(v, "Tier", (*Loader).addCalicoTier)
		register(v, "NetworkSet", (*Loader).addCalicoNetworkSet)
		register(v, "GlobalNetworkSet", (*Loader).addCalicoGlobalNetworkSet)
		register(v, "HostEndpoint", (*Loader).addCalicoHostEndpoint)
	}
}

// CalicoObjects holds the projectcalico.org/v3 objects of a snapshot.
type CalicoObjects struct {
	Tiers []*CalicoTier
	// Policies are the NetworkPolicies and GlobalNetworkPolicies, staged
	// or not, sorted by namespace, name and kind.
	Policies []*CalicoPolicy
	// StagedKubernetes are the StagedKubernetesNetworkPolicies, as
	// Kubernetes NetworkPolicies with a staged action.
	StagedKubernetes []*StagedKubernetesNetworkPolicy
	// NetworkSets are the NetworkSets (with a namespace) and
	// GlobalNetworkSets (without).
	NetworkSets []*NetworkSet
	// HostEndpoints are the HostEndpoints, sorted by name
	// (docs/calico-host-endpoints.md).
	HostEndpoints []*HostEndpoint
	// Felix are the FelixConfigurations, sorted by name.
	Felix []*FelixConfig
}

// CalicoTier is a Calico Tier.
type CalicoTier struct {
	ObjectRef
	Order *float64
	// DefaultAction is ActionDeny or ActionPass.
	DefaultAction Action
}

// CalicoPolicy is a Calico NetworkPolicy or GlobalNetworkPolicy (staged or
// not) after validation and Calico's API defaulting.
type CalicoPolicy struct {
	ObjectRef
	// Global is true for (Staged)GlobalNetworkPolicy.
	Global bool
	// Staged is true for the staged kinds; StagedAction is then Set (also
	// for an empty value), Delete, Learn or Ignore.
	Staged       bool
	StagedAction calicov3.StagedAction
	// Tier is the tier's name, "default" when not given.
	Tier  string
	Order *float64
	// Selector picks the endpoints (empty selector: all of them).
	Selector selector.Selector
	// ServiceAccountSelector and NamespaceSelector (global policies only)
	// are ANDed with Selector when set.
	ServiceAccountSelector *selector.Selector
	NamespaceSelector      *selector.Selector
	// Types says per direction (Ingress, Egress) whether the policy
	// applies, after Calico's defaulting [docs/semantics.md §3.3].
	Types   [2]bool
	Ingress []CalicoRule
	Egress  []CalicoRule
	// HostOnly marks doNotTrack and preDNAT policies, which act only on
	// host endpoints and never on pod traffic [docs/semantics.md §3.3].
	HostOnly bool
	// DoNotTrack, PreDNAT and ApplyOnForward are the GlobalNetworkPolicy
	// flags of the same names [docs/calico-host-endpoints.md §3].
	DoNotTrack, PreDNAT, ApplyOnForward bool
	// Object is the decoded calicov3 object.
	Object any
}

// Rules returns the rules of a direction.
func (p *CalicoPolicy) Rules(d Direction) []CalicoRule {
	if d == Egress {
		return p.Egress
	}
	return p.Ingress
}

// CalicoRule is one rule of a Calico policy.
type CalicoRule struct {
	Action Action
	// IPVersion is 0 (both), 4 or 6; ICMP implies 4 and ICMPv6 implies 6.
	IPVersion int
	// Protocol and NotProtocol are AnyProtocol when not set.
	Protocol, NotProtocol Protocol
	// ICMPFields is true when icmp or notICMP restricts ICMP types; the
	// matrix does not distinguish ICMP types, so the rule is treated as
	// matching every type of its protocol (a warning says so).
	ICMPFields  bool
	Source      CalicoEntity
	Destination CalicoEntity
	// HTTP is true for an Allow rule restricted to HTTP requests: its
	// flows are conditional.
	HTTP bool
	// Invalid rules are left out of the evaluation.
	Invalid bool
	Loc     Location
}

// CalicoEntity is the source or destination part of a Calico rule
// [docs/semantics.md §3.5]. Nil selectors are absent.
type CalicoEntity struct {
	Nets, NotNets     []netip.Prefix
	Selector          *selector.Selector
	NotSelector       *selector.Selector
	NamespaceSelector *selector.Selector
	ServiceAccounts   *CalicoServiceAccounts
	// Service names a Kubernetes Service (namespace filled in).
	Service *ServiceRef
	// Ports and NotPorts carry the rule's protocol (AnyProtocol when it has
	// none: only named ports are then allowed).
	Ports, NotPorts []PortMatch
}

// IsEmpty reports whether the entity has no criterion at all.
func (e *CalicoEntity) IsEmpty() bool {
	return e.Nets == nil && e.NotNets == nil && e.Selector == nil && e.NotSelector == nil &&
		e.NamespaceSelector == nil && e.ServiceAccounts == nil && e.Service == nil &&
		e.Ports == nil && e.NotPorts == nil
}

// CalicoServiceAccounts matches pods by service account name and labels.
type CalicoServiceAccounts struct {
	Names    []string
	Selector *selector.Selector
}

// ServiceRef names a Kubernetes Service.
type ServiceRef struct {
	Namespace, Name string
}

// StagedKubernetesNetworkPolicy is a Calico StagedKubernetesNetworkPolicy:
// a Kubernetes NetworkPolicy (defaulted and validated as one) that is not
// enforced, with its staged action.
type StagedKubernetesNetworkPolicy struct {
	*NetworkPolicy
	StagedAction calicov3.StagedAction
}

// NetworkSet is a Calico NetworkSet (Namespace set) or GlobalNetworkSet
// (Namespace empty): labelled CIDRs that rule selectors can match, so
// external ranges get names.
type NetworkSet struct {
	ObjectRef
	Labels map[string]string
	Nets   []netip.Prefix
}

// Present reports whether any projectcalico.org/v3 object was loaded.
func (c *CalicoObjects) Present() bool {
	return len(c.Tiers)+len(c.Policies)+len(c.StagedKubernetes)+len(c.NetworkSets)+len(c.HostEndpoints)+len(c.Felix) > 0
}

func (c *CalicoObjects) add(o any) bool {
	switch v := o.(type) {
	case *CalicoTier:
		c.Tiers = append(c.Tiers, v)
	case *CalicoPolicy:
		c.Policies = append(c.Policies, v)
	case *StagedKubernetesNetworkPolicy:
		c.StagedKubernetes = append(c.StagedKubernetes, v)
	case *NetworkSet:
		c.NetworkSets = append(c.NetworkSets, v)
	case *HostEndpoint:
		c.HostEndpoints = append(c.HostEndpoints, v)
	case *FelixConfig:
		c.Felix = append(c.Felix, v)
	default:
		return false
	}
	return true
}

func (c *CalicoObjects) sort() {
	sort.Slice(c.Tiers, func(i, j int) bool { return c.Tiers[i].Name < c.Tiers[j].Name })
	sortRefs(c.Policies)
	sort.Slice(c.StagedKubernetes, func(i, j int) bool {
		return refLess(&c.StagedKubernetes[i].ObjectRef, &c.StagedKubernetes[j].ObjectRef)
	})
	sortRefs(c.NetworkSets)
	sortRefs(c.HostEndpoints)
	sortRefs(c.Felix)
}

func (c *CalicoObjects) eachNamespaced(fn func(ObjectRef)) {
	for _, p := range c.Policies {
		if !p.Global {
			fn(p.ObjectRef)
		}
	}
	for _, p := range c.StagedKubernetes {
		fn(p.ObjectRef)
	}
	for _, n := range c.NetworkSets {
		if n.Namespace != "" {
			fn(n.ObjectRef)
		}
	}
}

// calicoRef is the object's reference with the Calico group.
func (c *decodeCtx) calicoRef() ObjectRef {
	r := c.ref()
	r.Group = CalicoGroup
	return r
}

// report turns Calico validation errors into diagnostics and returns the
// rules (by direction and index) they fall in; an error outside any rule
// is reported with whole set to true.
func (c *decodeCtx) report(errs []calicov3.FieldError) (bad map[RuleKey]bool, whole bool) {
	bad = map[RuleKey]bool{}
	for _, e := range errs {
		if e.Warning {
			c.warnf(e.Path, "%s", e.Msg)
			continue
		}
		if key, ok := ruleOfPath(e.Path); ok {
			bad[key] = true
			c.errorf(e.Path, "%s%s", e.Msg, ruleDropped)
			continue
		}
		whole = true
		c.errorf(e.Path, "%s", e.Msg)
	}
	return bad, whole
}

var rulePathRE = regexp.MustCompile(`^spec\.(ingress|egress)\[(\d+)\]`)

// ruleOfPath finds the rule a field path points into.
func ruleOfPath(path string) (RuleKey, bool) {
	m := rulePathRE.FindStringSubmatch(path)
	if m == nil {
		return RuleKey{}, false
	}
	i, _ := strconv.Atoi(m[2])
	d := Ingress
	if m[1] == "egress" {
		d = Egress
	}
	return RuleKey{d, i}, true
}

// calicoSpec is the part of the NetworkPolicy and GlobalNetworkPolicy
// specs that both share.
type calicoSpec struct {
	tier, sel, saSel, nsSel string
	order                   *float64
	types                   []calicov3.PolicyType
	ingress, egress         []calicov3.Rule
	doNotTrack, preDNAT     bool
	applyOnForward          bool
}

// addCalicoPolicy validates, defaults and stores one Calico policy.
func (l *Loader) addCalicoPolicy(c *decodeCtx, p *CalicoPolicy, s calicoSpec, errs []calicov3.FieldError) {
	bad, whole := c.report(errs)
	if whole && !p.Staged {
		c.errorf("spec", "the policy is left out of the evaluation")
		return
	}
	p.Tier = s.tier
	if p.Tier == "" {
		p.Tier = calicov3.DefaultTierName
	}
	p.Order = s.order
	var ok bool
	if p.Selector, ok = parseCalicoSelector(c, "spec.selector", s.sel); !ok {
		return
	}
	if s.saSel != "" {
		sel, ok := parseCalicoSelector(c, "spec.serviceAccountSelector", s.saSel)
		if !ok {
			return
		}
		p.ServiceAccountSelector = &sel
	}
	if s.nsSel != "" {
		sel, ok := parseCalicoSelector(c, "spec.namespaceSelector", s.nsSel)
		if !ok {
			return
		}
		p.NamespaceSelector = &sel
	}
	for _, t := range calicov3.DefaultTypes(s.ingress, s.egress, s.types) {
		switch t {
		case calicov3.PolicyTypeIngress:
			p.Types[Ingress] = true
		case calicov3.PolicyTypeEgress:
			p.Types[Egress] = true
		}
	}
	p.DoNotTrack, p.PreDNAT, p.ApplyOnForward = s.doNotTrack, s.preDNAT, s.applyOnForward
	if s.doNotTrack || s.preDNAT {
		p.HostOnly = true
	}
	for i := range s.ingress {
		p.Ingress = append(p.Ingress, calicoRule(c, p, Ingress, i, &s.ingress[i], bad[RuleKey{Ingress, i}]))
	}
	for i := range s.egress {
		p.Egress = append(p.Egress, calicoRule(c, p, Egress, i, &s.egress[i], bad[RuleKey{Egress, i}]))
	}
	l.store(&loaded{ref: p.ObjectRef, obj: p, doc: c.doc, at: c.at}, p.Key())
}

// parseCalicoSelector parses a selector field; "" means all().
func parseCalicoSelector(c *decodeCtx, path, s string) (selector.Selector, bool) {
	sel, err := selector.Parse(s)
	if err != nil {
		c.errorf(path, "%v; the policy is left out of the evaluation", err)
		return selector.Selector{}, false
	}
	return sel, true
}

// optSelector parses an optional selector of a rule ("" means absent).
func optSelector(s string) *selector.Selector {
	if s == "" {
		return nil
	}
	sel, err := selector.Parse(s)
	if err != nil {
		return nil // reported by validation; the rule is invalid
	}
	return &sel
}

// calicoRule converts one validated rule.
func calicoRule(c *decodeCtx, p *CalicoPolicy, d Direction, i int, r *calicov3.Rule, invalid bool) CalicoRule {
	at := fmt.Sprintf("spec.%s[%d]", d, i)
	out := CalicoRule{Action: calicoAction(r.Action), Invalid: invalid, Loc: c.field(at), HTTP: r.HTTP != nil}
	if invalid {
		return out
	}
	if r.IPVersion != nil {
		out.IPVersion = *r.IPVersion
	}
	if r.Protocol != nil {
		out.Protocol = Protocol(r.Protocol.Number())
		switch out.Protocol {
		case ICMP:
			out.IPVersion = 4
		case ICMPv6:
			out.IPVersion = 6
		}
	}
	if r.NotProtocol != nil {
		out.NotProtocol = Protocol(r.NotProtocol.Number())
	}
	if r.ICMP != nil || r.NotICMP != nil {
		out.ICMPFields = true
		c.warnf(at, "ICMP type and code are not modelled: the rule is treated as matching every %s type", out.Protocol)
	}
	out.Source = calicoEntity(c, p, at+".source", &r.Source, out.Protocol)
	out.Destination = calicoEntity(c, p, at+".destination", &r.Destination, out.Protocol)
	if (len(r.Source.Ports) > 0 || len(r.Source.NotPorts) > 0) && out.Action != ActionAllow {
		c.warnf(at+".source", "source ports cannot be decided offline: a client can pick another source port, so this %s rule is treated as not matching", r.Action)
	}
	if out.HTTP {
		c.warnf(at+".http", "HTTP matches are enforced only with application layer policy: flows this rule allows are reported as conditional")
	}
	return out
}

func calicoAction(a calicov3.Action) Action {
	switch a {
	case calicov3.Allow:
		return ActionAllow
	case calicov3.Deny:
		return ActionDeny
	case calicov3.Pass:
		return ActionPass
	case calicov3.Log:
		return ActionLog
	}
	return ActionNone
}

// calicoEntity converts a validated EntityRule.
func calicoEntity(c *decodeCtx, p *CalicoPolicy, at string, e *calicov3.EntityRule, proto Protocol) CalicoEntity {
	var out CalicoEntity
	nets := func(list []string) []netip.Prefix {
		if len(list) == 0 {
			return nil
		}
		var ps []netip.Prefix
		for _, s := range list {
			if pfx, err := calicov3.ParseNet(s); err == nil {
				ps = append(ps, pfx)
			}
		}
		return ps
	}
	out.Nets = nets(e.Nets)
	out.NotNets = nets(e.NotNets)
	out.Selector = optSelector(e.Selector)
	out.NotSelector = optSelector(e.NotSelector)
	out.NamespaceSelector = optSelector(e.NamespaceSelector)
	if e.ServiceAccounts != nil {
		out.ServiceAccounts = &CalicoServiceAccounts{Names: e.ServiceAccounts.Names, Selector: optSelector(e.ServiceAccounts.Selector)}
	}
	if e.Services != nil {
		ns := e.Services.Namespace
		if ns == "" {
			ns = p.Namespace
		}
		out.Service = &ServiceRef{Namespace: ns, Name: e.Services.Name}
	}
	ports := func(list []calicov3.Port) []PortMatch {
		if len(list) == 0 {
			return nil
		}
		var ms []PortMatch
		for _, pt := range list {
			if pt.IsNamed() {
				ms = append(ms, PortMatch{Protocol: proto, Name: pt.PortName})
			} else {
				ms = append(ms, PortMatch{Protocol: proto, Lo: pt.MinPort, Hi: pt.MaxPort})
			}
		}
		return ms
	}
	out.Ports = ports(e.Ports)
	out.NotPorts = ports(e.NotPorts)
	return out
}

func (l *Loader) addCalicoNetworkPolicy(c *decodeCtx, j []byte) {
	var obj calicov3.NetworkPolicy
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, true) {
		return
	}
	s := obj.Spec
	l.addCalicoPolicy(c, &CalicoPolicy{ObjectRef: c.calicoRef(), Object: &obj}, calicoSpec{
		tier: s.Tier, sel: s.Selector, saSel: s.ServiceAccountSelector, order: s.Order, types: s.Types,
		ingress: s.Ingress, egress: s.Egress,
	}, obj.Validate())
}

func (l *Loader) addCalicoGlobalNetworkPolicy(c *decodeCtx, j []byte) {
	var obj calicov3.GlobalNetworkPolicy
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, false) {
		return
	}
	s := obj.Spec
	l.addCalicoPolicy(c, &CalicoPolicy{ObjectRef: c.calicoRef(), Global: true, Object: &obj}, calicoSpec{
		tier: s.Tier, sel: s.Selector, saSel: s.ServiceAccountSelector, nsSel: s.NamespaceSelector, order: s.Order,
		types: s.Types, ingress: s.Ingress, egress: s.Egress, doNotTrack: s.DoNotTrack, preDNAT: s.PreDNAT,
		applyOnForward: s.ApplyOnForward,
	}, obj.Validate())
}

func (l *Loader) addCalicoStagedNetworkPolicy(c *decodeCtx, j []byte) {
	var obj calicov3.StagedNetworkPolicy
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, true) {
		return
	}
	s := obj.Spec
	l.addCalicoPolicy(c, &CalicoPolicy{ObjectRef: c.calicoRef(), Staged: true, StagedAction: stagedAction(s.StagedAction), Object: &obj}, calicoSpec{
		tier: s.Tier, sel: s.Selector, saSel: s.ServiceAccountSelector, order: s.Order, types: s.Types,
		ingress: s.Ingress, egress: s.Egress,
	}, obj.Validate())
}

func (l *Loader) addCalicoStagedGlobalNetworkPolicy(c *decodeCtx, j []byte) {
	var obj calicov3.StagedGlobalNetworkPolicy
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, false) {
		return
	}
	s := obj.Spec
	l.addCalicoPolicy(c, &CalicoPolicy{ObjectRef: c.calicoRef(), Global: true, Staged: true, StagedAction: stagedAction(s.StagedAction), Object: &obj}, calicoSpec{
		tier: s.Tier, sel: s.Selector, saSel: s.ServiceAccountSelector, nsSel: s.NamespaceSelector, order: s.Order,
		types: s.Types, ingress: s.Ingress, egress: s.Egress, doNotTrack: s.DoNotTrack, preDNAT: s.PreDNAT,
		applyOnForward: s.ApplyOnForward,
	}, obj.Validate())
}

func stagedAction(a calicov3.StagedAction) calicov3.StagedAction {
	if a == "" {
		return calicov3.StagedActionSet
	}
	return a
}

func (l *Loader) addCalicoStagedKubernetesNetworkPolicy(c *decodeCtx, j []byte) {
	var obj calicov3.StagedKubernetesNetworkPolicy
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, true) {
		return
	}
	if _, whole := c.report(obj.Validate()); whole {
		c.errorf("spec", "the staged policy is left out of the evaluation")
		return
	}
	ref := c.calicoRef()
	np := &NetworkPolicy{ObjectRef: ref, Invalid: map[RuleKey]bool{}, RuleSource: map[RuleKey]Location{},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: obj.Spec.PodSelector, Ingress: obj.Spec.Ingress, Egress: obj.Spec.Egress, PolicyTypes: obj.Spec.PolicyTypes,
		}}
	validateKubeNetworkPolicy(c, np, "spec")
	l.store(&loaded{ref: ref, obj: &StagedKubernetesNetworkPolicy{NetworkPolicy: np, StagedAction: stagedAction(obj.Spec.StagedAction)}, doc: c.doc, at: c.at}, ref.Key())
}

func (l *Loader) addCalicoTier(c *decodeCtx, j []byte) {
	var obj calicov3.Tier
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, false) {
		return
	}
	if _, whole := c.report(obj.Validate()); whole {
		return
	}
	t := &CalicoTier{ObjectRef: c.calicoRef(), Order: obj.Spec.Order, DefaultAction: ActionDeny}
	if obj.Spec.EffectiveDefaultAction() == calicov3.Pass {
		t.DefaultAction = ActionPass
	}
	l.store(&loaded{ref: t.ObjectRef, obj: t, doc: c.doc, at: c.at}, t.Key())
}

func (l *Loader) addNetworkSet(c *decodeCtx, labels map[string]string, nets []string, errs []calicov3.FieldError) {
	if _, whole := c.report(errs); whole {
		return
	}
	ns := &NetworkSet{ObjectRef: c.calicoRef(), Labels: labels}
	for _, s := range nets {
		if p, err := calicov3.ParseNet(s); err == nil {
			ns.Nets = append(ns.Nets, p)
		}
	}
	l.store(&loaded{ref: ns.ObjectRef, obj: ns, doc: c.doc, at: c.at}, ns.Key())
}

func (l *Loader) addCalicoNetworkSet(c *decodeCtx, j []byte) {
	var obj calicov3.NetworkSet
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, true) {
		return
	}
	l.addNetworkSet(c, obj.Labels, obj.Spec.Nets, obj.Validate())
}

func (l *Loader) addCalicoGlobalNetworkSet(c *decodeCtx, j []byte) {
	var obj calicov3.GlobalNetworkSet
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, false) {
		return
	}
	l.addNetworkSet(c, obj.Labels, obj.Spec.Nets, obj.Validate())
}
