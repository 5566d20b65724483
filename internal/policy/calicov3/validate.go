package calicov3

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/netreach/netreach/internal/selector"
)

// FieldError is one problem that Calico's validation would reject. Path
// is the JSON path of the offending field, relative to the object that
// was validated (spec.ingress[0].destination.ports[1]) or, for
// [Rule.Validate], relative to the rule (destination.ports[1]).
type FieldError struct {
	Path string
	Msg  string
	// Warning marks a problem Calico's API rejects but its dataplane
	// would handle, which netreach reports without failing (a protocol
	// name in the wrong case).
	Warning bool
}

// Error returns "path: msg".
func (e FieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// parseSelector parses a Calico selector so that validation can report
// syntax errors. It is a variable only so that a test can replace it. The
// global() placement rules do not use it: like Calico they look at the
// selector text.
var parseSelector = selector.Parse

// errs gathers FieldErrors in the order the fields are visited, which is
// the order they appear in the object, so output is deterministic.
type errs []FieldError

func (l *errs) add(path, msg string) { *l = append(*l, FieldError{Path: path, Msg: msg}) }

func (l *errs) addf(path, format string, args ...any) {
	l.add(path, fmt.Sprintf(format, args...))
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func at(prefix string, i int) string { return prefix + "[" + strconv.Itoa(i) + "]" }

// globalRule says where global() may appear in a selector.
type globalRule int

const (
	noGlobal    globalRule = iota // nowhere
	wholeGlobal                   // only as the entire selector
)

const (
	msgGlobalOnlyNamespace = "global() can only be used in an EntityRule namespaceSelector"
	msgGlobalAlone         = "global() cannot be combined with other selectors"
)

// selector checks one selector field. Like Calico (validator.go
// validateEntityRule and the CRD's CEL rules) it finds global() by looking
// for the text "global(" rather than in the parsed expression, so a
// string literal containing it is flagged too.
func (l *errs) selector(path, s string, g globalRule) {
	if s == "" {
		return
	}
	if _, err := parseSelector(s); err != nil {
		l.add(path, err.Error())
		return
	}
	if !strings.Contains(s, "global(") {
		return
	}
	switch {
	case g == noGlobal:
		l.add(path, msgGlobalOnlyNamespace)
	case !isLoneGlobal(s):
		l.add(path, msgGlobalAlone)
	}
}

// isLoneGlobal reports whether s is `global()`, allowing the spaces and
// tabs the Calico tokenizer skips.
func isLoneGlobal(s string) bool {
	t, ok := strings.CutPrefix(strings.Trim(s, " \t"), "global(")
	return ok && strings.TrimLeft(t, " \t") == ")"
}

// Validate reports the problems Calico's validation would reject in the
// rule, with paths relative to the rule. It implements validator.go
// validateRule and validateEntityRule and the CEL rules on Rule,
// EntityRule and ICMPFields (Calico policy_common.go); see
// [NetworkPolicy.Validate] for the checks that depend on the rule's
// direction. Validate returns nil for a valid rule.
func (r *Rule) Validate() []FieldError {
	var l errs
	l.rule("", r)
	return l
}

func (l *errs) rule(p string, r *Rule) {
	switch {
	case r.Action == "":
		l.add(join(p, "action"), "required: must be one of Allow, Deny, Log, Pass")
	case !r.Action.IsValid():
		l.addf(join(p, "action"), "unsupported action %q: must be one of Allow, Deny, Log, Pass", r.Action)
	}

	version := 0
	if r.IPVersion != nil {
		version = *r.IPVersion
		if version != 4 && version != 6 {
			l.addf(join(p, "ipVersion"), "must be 4 or 6, not %d", version)
			version = 0
		}
	}

	l.protocol(join(p, "protocol"), r.Protocol)
	l.protocol(join(p, "notProtocol"), r.NotProtocol)
	if version != 0 {
		l.icmpVersion(join(p, "ipVersion"), "protocol", r.Protocol, version)
		l.icmpVersion(join(p, "ipVersion"), "notProtocol", r.NotProtocol, version)
	}

	if r.ICMP != nil {
		if n := protoNum(r.Protocol); n != 1 && n != 58 {
			l.add(join(p, "icmp"), "ICMP fields require protocol ICMP or ICMPv6")
		}
	}
	l.icmp(join(p, "icmp"), r.ICMP)
	l.icmp(join(p, "notICMP"), r.NotICMP)

	src, dst := join(p, "source"), join(p, "destination")
	l.ports(join(src, "ports"), r.Source.Ports, r.Protocol)
	l.ports(join(src, "notPorts"), r.Source.NotPorts, r.Protocol)
	l.ports(join(dst, "ports"), r.Destination.Ports, r.Protocol)
	l.ports(join(dst, "notPorts"), r.Destination.NotPorts, r.Protocol)

	// Calico scans the four lists in this order and reports the first
	// list that brings in the second family.
	scan := netScan{version: version}
	l.nets(join(src, "nets"), r.Source.Nets, false, &scan)
	l.nets(join(src, "notNets"), r.Source.NotNets, true, &scan)
	l.nets(join(dst, "nets"), r.Destination.Nets, false, &scan)
	l.nets(join(dst, "notNets"), r.Destination.NotNets, true, &scan)

	l.entity(src, &r.Source)
	l.entity(dst, &r.Destination)
	if r.Destination.Services != nil {
		if len(r.Destination.Ports) > 0 {
			l.add(join(dst, "ports"), "cannot be combined with services in a destination")
		}
		if len(r.Destination.NotPorts) > 0 {
			l.add(join(dst, "notPorts"), "cannot be combined with services in a destination")
		}
	}

	if r.HTTP != nil {
		if r.Action != Allow {
			l.add(join(p, "http"), "HTTP match is only valid on Allow rules")
		}
		if r.Protocol != nil && r.Protocol.Number() != 6 {
			l.add(join(p, "protocol"), "rules with an HTTP match must have protocol TCP or none")
		}
		l.http(join(p, "http"), r.HTTP)
	}
}

// protoNum returns the protocol number, or 0 for an absent protocol.
func protoNum(p *Protocol) uint8 {
	if p == nil {
		return 0
	}
	return p.Number()
}

func (l *errs) protocol(path string, p *Protocol) {
	if p == nil {
		return
	}
	if !p.IsValid() {
		l.add(path, "protocol number must be between 1 and 255")
		return
	}
	// Calico's validator matches names with ^(TCP|UDP|ICMP|ICMPv6|SCTP|UDPLite)$
	// and its CEL rules compare with 'TCP', 'ICMP', ... exactly.
	if want, named := p.canonical(); named && want != p.name {
		*l = append(*l, FieldError{Path: path, Warning: true,
			Msg: fmt.Sprintf("protocol name %q must be written %q: Calico's API rejects other spellings (Felix would match it regardless of case)", p.name, want)})
	}
}

// icmpVersion checks that an ICMP or ICMPv6 protocol agrees with the
// rule's ipVersion.
func (l *errs) icmpVersion(path, field string, p *Protocol, version int) {
	switch protoNum(p) {
	case 1:
		if version != 4 {
			l.addf(path, "%s ICMP requires ipVersion 4", field)
		}
	case 58:
		if version != 6 {
			l.addf(path, "%s ICMPv6 requires ipVersion 6", field)
		}
	}
}

func (l *errs) icmp(p string, f *ICMPFields) {
	if f == nil {
		return
	}
	if f.Type != nil && (*f.Type < 0 || *f.Type > 254) {
		l.addf(join(p, "type"), "must be between 0 and 254, not %d", *f.Type)
	}
	if f.Code != nil {
		if f.Type == nil {
			l.add(join(p, "code"), "ICMP code specified without an ICMP type")
		}
		if *f.Code < 0 || *f.Code > 255 {
			l.addf(join(p, "code"), "must be between 0 and 255, not %d", *f.Code)
		}
	}
}

// ports checks each entry of a ports or notPorts list on its own
// (validator.go validatePort and the portName tag) and against the rule's
// protocol (validateRule): numeric ports need TCP, UDP or SCTP; a rule
// without a protocol may list only named ports; a rule whose protocol has
// no ports may list no ports at all.
func (l *errs) ports(p string, ports []Port, proto *Protocol) {
	for i, v := range ports {
		ip := at(p, i)
		l.port(ip, v)
		switch {
		case proto != nil && !proto.SupportsPorts():
			l.addf(ip, "protocol %s has no ports: rules that specify ports must set protocol to TCP, UDP or SCTP", proto)
		case proto == nil && !v.IsNamed():
			l.add(ip, "rules with a numeric port or port range must set protocol to TCP, UDP or SCTP")
		}
	}
}

func (l *errs) port(p string, v Port) {
	if v.PortName != "" {
		if v.MinPort != 0 || v.MaxPort != 0 {
			l.addf(p, "named port %q must not also have port numbers", v.PortName)
		}
		if msgs := validation.IsValidPortName(v.PortName); len(msgs) > 0 {
			l.addf(p, "invalid port name %q: %s", v.PortName, strings.Join(msgs, "; "))
		}
		return
	}
	if v.MinPort == 0 {
		l.add(p, "port number must be between 1 and 65535")
	}
	if v.MinPort > v.MaxPort {
		l.addf(p, "invalid port range %d:%d: range start is after end", v.MinPort, v.MaxPort)
	}
}

// netScan carries the address families a rule's nets and notNets have
// used so far, so that mixing IPv4 and IPv6 is reported once.
type netScan struct {
	version       int // the rule's ipVersion, 0 if none
	v4, v6, mixed bool
}

func family(is4 bool) string {
	if is4 {
		return "IPv4"
	}
	return "IPv6"
}

func (l *errs) nets(p string, nets []string, negated bool, s *netScan) {
	for i, n := range nets {
		ip := at(p, i)
		pfx, err := ParseNet(n)
		if err != nil {
			l.add(ip, err.Error())
			continue
		}
		is4 := pfx.Addr().Is4()
		if s.version != 0 && is4 != (s.version == 4) {
			l.addf(ip, "%s network %q does not match ipVersion %d", family(is4), n, s.version)
		}
		if !s.mixed && (is4 && s.v6 || !is4 && s.v4) {
			s.mixed = true
			l.addf(ip, "rule mixes IPv4 and IPv6 networks: %q is %s but an earlier network is %s", n, family(is4), family(!is4))
		}
		s.v4 = s.v4 || is4
		s.v6 = s.v6 || !is4
		if negated && pfx.Bits() == 0 {
			l.addf(ip, "catch-all network %q in notNets matches no traffic", n)
		}
	}
}

func (l *errs) entity(p string, e *EntityRule) {
	l.selector(join(p, "selector"), e.Selector, noGlobal)
	l.selector(join(p, "notSelector"), e.NotSelector, noGlobal)
	l.selector(join(p, "namespaceSelector"), e.NamespaceSelector, wholeGlobal)
	if e.ServiceAccounts != nil {
		l.selector(join(p, "serviceAccounts.selector"), e.ServiceAccounts.Selector, noGlobal)
	}
	if e.Services == nil {
		return
	}
	sp := join(p, "services")
	if e.Services.Name == "" {
		l.add(join(sp, "name"), "required")
	}
	if len(e.Nets) > 0 || len(e.NotNets) > 0 {
		l.add(sp, "cannot be combined with nets or notNets")
	}
	if e.Selector != "" || e.NotSelector != "" {
		l.add(sp, "cannot be combined with selector or notSelector")
	}
	if e.NamespaceSelector != "" {
		l.add(sp, "cannot be combined with namespaceSelector")
	}
	if e.ServiceAccounts != nil {
		l.add(sp, "cannot be combined with serviceAccounts")
	}
}

func (l *errs) http(p string, h *HTTPMatch) {
	seen := make(map[string]bool, len(h.Methods))
	for i, m := range h.Methods {
		if seen[m] {
			l.addf(at(join(p, "methods"), i), "duplicate method %q", m)
		}
		seen[m] = true
	}
	for i, hp := range h.Paths {
		pp := at(join(p, "paths"), i)
		v := hp.Exact
		switch {
		case hp.Exact != "" && hp.Prefix != "":
			l.add(pp, "exactly one of exact and prefix must be set, not both")
			continue
		case hp.Exact == "" && hp.Prefix == "":
			l.add(pp, "exactly one of exact and prefix must be set")
			continue
		case hp.Exact == "":
			v = hp.Prefix
		}
		if !strings.HasPrefix(v, "/") || strings.ContainsAny(v, "? #") {
			l.addf(pp, "invalid path %q: must start with / and not contain ?, # or spaces", v)
		}
	}
}

// policyFields is what NetworkPolicySpec and GlobalNetworkPolicySpec have
// in common, plus the GlobalNetworkPolicy namespaceSelector.
type policyFields struct {
	global                  bool
	tier, sel, saSel, nsSel string
	types                   []PolicyType
	hints                   []PerformanceHint
	ingress, egress         []Rule
}

func (l *errs) policy(p string, f policyFields) {
	if f.tier != "" {
		if msgs := validation.IsDNS1123Subdomain(f.tier); len(msgs) > 0 {
			l.addf(join(p, "tier"), "invalid tier name %q: %s", f.tier, strings.Join(msgs, "; "))
		}
	}
	l.selector(join(p, "selector"), f.sel, noGlobal)
	l.selector(join(p, "serviceAccountSelector"), f.saSel, noGlobal)
	if f.global {
		l.selector(join(p, "namespaceSelector"), f.nsSel, noGlobal)
	}
	l.types(join(p, "types"), f.types)
	for i, h := range f.hints {
		hp := at(join(p, "performanceHints"), i)
		if h != HintAssumeNeededOnEveryNode {
			l.addf(hp, "unsupported performance hint %q: must be %s", h, HintAssumeNeededOnEveryNode)
		} else if containsHint(f.hints[:i], h) {
			l.addf(hp, "duplicate performance hint %q", h)
		}
	}
	for i := range f.ingress {
		rp := at(join(p, "ingress"), i)
		r := &f.ingress[i]
		l.rule(rp, r)
		if r.Destination.Services != nil {
			l.add(join(rp, "destination.services"), "not allowed in the destination of an ingress rule")
		}
		if f.global && r.Source.Services != nil && r.Source.Services.Namespace == "" {
			l.add(join(rp, "source.services.namespace"), "required in a GlobalNetworkPolicy")
		}
	}
	for i := range f.egress {
		rp := at(join(p, "egress"), i)
		r := &f.egress[i]
		l.rule(rp, r)
		if r.Source.Services != nil {
			l.add(join(rp, "source.services"), "not allowed in the source of an egress rule")
		}
		if r.HTTP != nil {
			l.add(join(rp, "http"), "not allowed in egress rules")
		}
		if f.global && r.Destination.Services != nil && r.Destination.Services.Namespace == "" {
			l.add(join(rp, "destination.services.namespace"), "required in a GlobalNetworkPolicy")
		}
	}
}

func containsHint(hs []PerformanceHint, h PerformanceHint) bool {
	for _, x := range hs {
		if x == h {
			return true
		}
	}
	return false
}

func (l *errs) types(p string, types []PolicyType) {
	for i, t := range types {
		tp := at(p, i)
		switch {
		case !t.IsValid():
			l.addf(tp, "unsupported policy type %q: must be Ingress or Egress", t)
		case containsType(types[:i], t):
			l.addf(tp, "duplicate policy type %q", t)
		}
	}
}

func containsType(ts []PolicyType, t PolicyType) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

func (l *errs) stagedAction(p string, a StagedAction) {
	if a != "" && !a.IsValid() {
		l.addf(p, "unsupported staged action %q: must be one of Set, Delete, Learn, Ignore", a)
	}
}

// setField names a spec field and whether it holds a value, for the
// "must be empty when stagedAction is Delete" check.
type setField struct {
	name string
	set  bool
}

func (l *errs) emptyForDelete(p string, fields ...setField) {
	for _, f := range fields {
		if f.set {
			l.add(join(p, f.name), "must be empty when stagedAction is Delete")
		}
	}
}

func (s *NetworkPolicySpec) fields() policyFields {
	return policyFields{
		tier: s.Tier, sel: s.Selector, saSel: s.ServiceAccountSelector,
		types: s.Types, hints: s.PerformanceHints, ingress: s.Ingress, egress: s.Egress,
	}
}

func (s *NetworkPolicySpec) setFields() []setField {
	return []setField{
		{"order", s.Order != nil},
		{"ingress", len(s.Ingress) > 0},
		{"egress", len(s.Egress) > 0},
		{"selector", s.Selector != ""},
		{"types", len(s.Types) > 0},
		{"serviceAccountSelector", s.ServiceAccountSelector != ""},
		{"performanceHints", len(s.PerformanceHints) > 0},
	}
}

func (s *GlobalNetworkPolicySpec) fields() policyFields {
	return policyFields{
		global: true,
		tier:   s.Tier, sel: s.Selector, saSel: s.ServiceAccountSelector, nsSel: s.NamespaceSelector,
		types: s.Types, hints: s.PerformanceHints, ingress: s.Ingress, egress: s.Egress,
	}
}

func (s *GlobalNetworkPolicySpec) setFields() []setField {
	return []setField{
		{"order", s.Order != nil},
		{"ingress", len(s.Ingress) > 0},
		{"egress", len(s.Egress) > 0},
		{"selector", s.Selector != ""},
		{"types", len(s.Types) > 0},
		{"doNotTrack", s.DoNotTrack},
		{"preDNAT", s.PreDNAT},
		{"applyOnForward", s.ApplyOnForward},
		{"serviceAccountSelector", s.ServiceAccountSelector != ""},
		{"namespaceSelector", s.NamespaceSelector != ""},
		{"performanceHints", len(s.PerformanceHints) > 0},
	}
}

// validate adds the GlobalNetworkPolicy checks (validator.go
// validateGlobalNetworkPolicySpec and the CEL rules of
// globalnetworkpolicy.go) to the common ones.
func (s *GlobalNetworkPolicySpec) validate(l *errs, p string) {
	l.policy(p, s.fields())
	if s.DoNotTrack && s.PreDNAT {
		l.add(join(p, "preDNAT"), "preDNAT and doNotTrack cannot both be true")
	}
	if s.PreDNAT && len(s.Egress) > 0 {
		l.add(join(p, "egress"), "preDNAT policy cannot have any egress rules")
	}
	if s.PreDNAT && containsType(s.Types, PolicyTypeEgress) {
		l.add(join(p, "types"), "preDNAT policy cannot have 'Egress' type")
	}
	if (s.DoNotTrack || s.PreDNAT) && !s.ApplyOnForward {
		l.add(join(p, "applyOnForward"), "applyOnForward must be true if either preDNAT or doNotTrack is true")
	}
}

// Validate reports what Calico's validation would reject in the policy:
// every rule (see [Rule.Validate]), the selectors (which must parse and
// may not use global()), the tier name, types (Ingress or Egress, no
// repeats) and performance hints; and, by direction, services in an
// ingress rule's destination or an egress rule's source, and http in an
// egress rule. Paths start at the object ("spec.ingress[0].action").
// Object metadata is not checked. Validate returns nil for a valid policy.
func (np *NetworkPolicy) Validate() []FieldError {
	var l errs
	l.policy("spec", np.Spec.fields())
	return l
}

// Validate reports what Calico's validation would reject in the policy:
// the checks of [NetworkPolicy.Validate], the spec's namespaceSelector,
// the service namespace that a GlobalNetworkPolicy's service rules need,
// and the doNotTrack/preDNAT/applyOnForward constraints (not both
// doNotTrack and preDNAT; either needs applyOnForward; preDNAT has no
// egress rules and no Egress type).
func (gnp *GlobalNetworkPolicy) Validate() []FieldError {
	var l errs
	gnp.Spec.validate(&l, "spec")
	return l
}

// Validate checks stagedAction and then, when it is Delete, that every
// spec field but tier is empty (as Calico requires), and otherwise the
// spec as [NetworkPolicy.Validate] does.
func (snp *StagedNetworkPolicy) Validate() []FieldError {
	var l errs
	l.stagedAction("spec.stagedAction", snp.Spec.StagedAction)
	if snp.Spec.StagedAction == StagedActionDelete {
		l.emptyForDelete("spec", snp.Spec.NetworkPolicySpec.setFields()...)
	} else {
		l.policy("spec", snp.Spec.NetworkPolicySpec.fields())
	}
	return l
}

// Validate checks stagedAction and then, when it is Delete, that every
// spec field but tier is empty, and otherwise the spec as
// [GlobalNetworkPolicy.Validate] does.
func (sgnp *StagedGlobalNetworkPolicy) Validate() []FieldError {
	var l errs
	l.stagedAction("spec.stagedAction", sgnp.Spec.StagedAction)
	if sgnp.Spec.StagedAction == StagedActionDelete {
		l.emptyForDelete("spec", sgnp.Spec.GlobalNetworkPolicySpec.setFields()...)
	} else {
		sgnp.Spec.GlobalNetworkPolicySpec.validate(&l, "spec")
	}
	return l
}

// Validate checks stagedAction and then, when it is Delete, that every
// other spec field is empty; otherwise that podSelector is a valid label
// selector and policyTypes holds only Ingress and Egress, once each. The
// ingress and egress rules have the Kubernetes NetworkPolicy types and are
// left to the code that validates Kubernetes NetworkPolicies.
func (sknp *StagedKubernetesNetworkPolicy) Validate() []FieldError {
	var l errs
	s := &sknp.Spec
	l.stagedAction("spec.stagedAction", s.StagedAction)
	if s.StagedAction == StagedActionDelete {
		l.emptyForDelete("spec",
			setField{"podSelector", len(s.PodSelector.MatchLabels) > 0 || len(s.PodSelector.MatchExpressions) > 0},
			setField{"ingress", len(s.Ingress) > 0},
			setField{"egress", len(s.Egress) > 0},
			setField{"policyTypes", len(s.PolicyTypes) > 0},
		)
		return l
	}
	if _, err := metav1.LabelSelectorAsSelector(&s.PodSelector); err != nil {
		l.add("spec.podSelector", err.Error())
	}
	types := make([]PolicyType, len(s.PolicyTypes))
	for i, t := range s.PolicyTypes {
		types[i] = PolicyType(t)
	}
	l.types("spec.policyTypes", types)
	return l
}

// Validate checks the tier's name (a DNS label: Calico forbids dots in
// tier names), that defaultAction is Deny or Pass, and the fixed order and
// default action of the tiers Calico creates itself: default (1,000,000,
// Deny), kube-admin (1,000, Pass) and kube-baseline (10,000,000, Pass).
// An absent defaultAction counts as Deny, the CRD default.
func (t *Tier) Validate() []FieldError {
	var l errs
	if msgs := validation.IsDNS1123Label(t.Name); len(msgs) > 0 {
		l.addf("metadata.name", "invalid tier name %q: %s", t.Name, strings.Join(msgs, "; "))
	}
	if a := t.Spec.DefaultAction; a != nil && *a != Deny && *a != Pass {
		l.addf("spec.defaultAction", "unsupported default action %q: must be Deny or Pass", *a)
	}
	var order float64
	var action Action
	switch t.Name {
	case DefaultTierName:
		order, action = DefaultTierOrder, Deny
	case KubeAdminTierName:
		order, action = KubeAdminTierOrder, Pass
	case KubeBaselineTierName:
		order, action = KubeBaselineTierOrder, Pass
	default:
		return l
	}
	if t.Spec.Order == nil || *t.Spec.Order != order {
		l.addf("spec.order", "the %s tier's order must be %s", t.Name, strconv.FormatFloat(order, 'f', -1, 64))
	}
	if got := t.Spec.EffectiveDefaultAction(); got != action {
		l.addf("spec.defaultAction", "the %s tier's default action must be %s, not %s", t.Name, action, got)
	}
	return l
}

// reservedNamespaceLabel may not label a (Global)NetworkSet: Calico adds
// it to namespaced entities itself.
const reservedNamespaceLabel = "projectcalico.org/namespace"

func (l *errs) networkSet(meta *metav1.ObjectMeta, nets []string) {
	if _, ok := meta.Labels[reservedNamespaceLabel]; ok {
		l.addf("metadata.labels", "%s is a reserved label", reservedNamespaceLabel)
	}
	for i, n := range nets {
		if _, err := ParseNet(n); err != nil {
			l.add(at("spec.nets", i), err.Error())
		}
	}
}

// Validate checks that every entry of nets is a CIDR or an IP address and
// that the set does not carry the reserved label projectcalico.org/namespace.
func (ns *NetworkSet) Validate() []FieldError {
	var l errs
	l.networkSet(&ns.ObjectMeta, ns.Spec.Nets)
	return l
}

// Validate checks the set as [NetworkSet.Validate] does.
func (gns *GlobalNetworkSet) Validate() []FieldError {
	var l errs
	l.networkSet(&gns.ObjectMeta, gns.Spec.Nets)
	return l
}

// Validate checks that the host endpoint names a node, has an interface
// name or expected IPs, that the expected IPs are IP addresses, and that
// each named port has a valid name, protocol TCP, UDP or SCTP and a
// number 1-65535.
func (hep *HostEndpoint) Validate() []FieldError {
	var l errs
	s := &hep.Spec
	if s.Node == "" {
		l.add("spec.node", "required")
	}
	if s.InterfaceName == "" && len(s.ExpectedIPs) == 0 {
		l.add("spec", "at least one of interfaceName or expectedIPs must be specified")
	}
	for i, ip := range s.ExpectedIPs {
		if a, err := netip.ParseAddr(ip); err != nil || a.Zone() != "" {
			l.addf(at("spec.expectedIPs", i), "invalid IP address %q", ip)
		}
	}
	for i, port := range s.Ports {
		pp := at("spec.ports", i)
		if msgs := validation.IsValidPortName(port.Name); len(msgs) > 0 {
			l.addf(join(pp, "name"), "invalid port name %q: %s", port.Name, strings.Join(msgs, "; "))
		}
		switch {
		case !port.Protocol.IsValid():
			l.add(join(pp, "protocol"), "required: must be TCP, UDP or SCTP")
		case !port.Protocol.SupportsPorts():
			l.addf(join(pp, "protocol"), "protocol %s has no ports: must be TCP, UDP or SCTP", port.Protocol)
		default:
			l.protocol(join(pp, "protocol"), &port.Protocol)
		}
		if port.Port == 0 {
			l.add(join(pp, "port"), "must be between 1 and 65535")
		}
	}
	return l
}
