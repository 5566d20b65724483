package policy

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/netreach/netreach/internal/policy/istio"
)

func init() {
	for _, v := range []string{"security.istio.io/v1", "security.istio.io/v1beta1"} {
		register(v, istio.KindAuthorizationPolicy, (*Loader).addAuthorizationPolicy)
		register(v, istio.KindPeerAuthentication, (*Loader).addPeerAuthentication)
	}
	policyKinds[istio.KindAuthorizationPolicy] = "security.istio.io/v1 or v1beta1"
	policyKinds[istio.KindPeerAuthentication] = "security.istio.io/v1 or v1beta1"
}

// MeshGroup is the API group of the Istio security objects.
const MeshGroup = istio.Group

// MeshObjects holds the Istio security objects of a snapshot, validated
// as Istio's admission webhook validates them (an object it would reject
// is left out, with an error) [docs/mesh.md §3.5, §4.7]. What they mean
// is package mesh's concern.
type MeshObjects struct {
	AuthorizationPolicies []*AuthorizationPolicy
	PeerAuthentications   []*PeerAuthentication
}

// Present reports whether any Istio security object was loaded.
func (m *MeshObjects) Present() bool {
	return len(m.AuthorizationPolicies)+len(m.PeerAuthentications) > 0
}

func (m *MeshObjects) add(o any) bool {
	switch v := o.(type) {
	case *AuthorizationPolicy:
		m.AuthorizationPolicies = append(m.AuthorizationPolicies, v)
	case *PeerAuthentication:
		m.PeerAuthentications = append(m.PeerAuthentications, v)
	default:
		return false
	}
	return true
}

func (m *MeshObjects) sort() {
	sortRefs(m.AuthorizationPolicies)
	sortRefs(m.PeerAuthentications)
}

func (m *MeshObjects) eachNamespaced(fn func(ObjectRef)) {
	for _, p := range m.AuthorizationPolicies {
		fn(p.ObjectRef)
	}
	for _, p := range m.PeerAuthentications {
		fn(p.ObjectRef)
	}
}

// MeshAction is the action of an AuthorizationPolicy.
type MeshAction uint8

// Actions of an AuthorizationPolicy; the zero value is ALLOW, as in Istio.
const (
	MeshAllow MeshAction = iota
	MeshDeny
	MeshAudit
	MeshCustom
)

// String returns "ALLOW", "DENY", "AUDIT" or "CUSTOM".
func (a MeshAction) String() string {
	switch a {
	case MeshDeny:
		return istio.ActionDeny
	case MeshAudit:
		return istio.ActionAudit
	case MeshCustom:
		return istio.ActionCustom
	}
	return istio.ActionAllow
}

// MarshalText returns the action's name.
func (a MeshAction) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// MTLSMode is a PeerAuthentication mode.
type MTLSMode uint8

// mTLS modes; the zero value is UNSET (inherit from the parent scope).
const (
	MTLSUnset MTLSMode = iota
	MTLSDisable
	MTLSPermissive
	MTLSStrict
)

// String returns "UNSET", "DISABLE", "PERMISSIVE" or "STRICT".
func (m MTLSMode) String() string {
	switch m {
	case MTLSDisable:
		return istio.ModeDisable
	case MTLSPermissive:
		return istio.ModePermissive
	case MTLSStrict:
		return istio.ModeStrict
	}
	return istio.ModeUnset
}

// MarshalText returns the mode's name.
func (m MTLSMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// TargetRef is one entry of an AuthorizationPolicy's targetRefs.
type TargetRef struct {
	Group, Kind, Name string
}

// String returns "Kind/name" (with the group when it is not the core
// group).
func (t TargetRef) String() string {
	if t.Group == "" || t.Group == "core" {
		return t.Kind + "/" + t.Name
	}
	return t.Kind + "." + t.Group + "/" + t.Name
}

// AuthorizationPolicy is an Istio AuthorizationPolicy (security.istio.io
// v1 or v1beta1) after validation.
type AuthorizationPolicy struct {
	ObjectRef
	Action MeshAction
	// Provider names the external authorizer of a CUSTOM policy.
	Provider string
	// Selector holds the labels of spec.selector.matchLabels; nil (also
	// for an empty selector) selects every workload in scope.
	Selector map[string]string
	// TargetRefs, when set, attach the policy to gateways, waypoints or
	// services instead of workloads.
	TargetRefs []TargetRef
	// Rules are the rules; an empty list never matches.
	Rules []MeshRule
	// DryRun is true for a policy annotated istio.io/dry-run: "true",
	// which is evaluated for logs only and never enforced.
	DryRun bool
	// Revision is the istio.io/rev label: only proxies of that control
	// plane revision use the policy. Empty: every revision.
	Revision string
}

// MeshRule is one rule of an AuthorizationPolicy: it matches when some
// source (or none is given), some operation (or none is given) and every
// condition match.
type MeshRule struct {
	From []MeshSource
	To   []MeshOperation
	When []MeshCondition
	Loc  Location
}

// MeshSource is one source of a rule; every field given must match.
type MeshSource struct {
	Principals, NotPrincipals               []string
	RequestPrincipals, NotRequestPrincipals []string
	Namespaces, NotNamespaces               []string
	// ServiceAccounts are "namespace/name", the namespace filled in.
	ServiceAccounts, NotServiceAccounts []string
	IPBlocks, NotIPBlocks               []netip.Prefix
	RemoteIPBlocks, NotRemoteIPBlocks   []netip.Prefix
	TrustDomains, NotTrustDomains       []string
}

// MeshOperation is one operation of a rule; every field given must match.
type MeshOperation struct {
	Hosts, NotHosts     []string
	Ports, NotPorts     []uint16
	Methods, NotMethods []string
	Paths, NotPaths     []string
}

// MeshCondition is one condition of a rule: the attribute Key must have
// one of Values (when given) and none of NotValues.
type MeshCondition struct {
	Key               string
	Values, NotValues []string
	// Prefixes and NotPrefixes hold Values and NotValues parsed, for the
	// address attributes (source.ip, remote.ip, destination.ip).
	Prefixes, NotPrefixes []netip.Prefix
}

// PeerAuthentication is an Istio PeerAuthentication after validation.
type PeerAuthentication struct {
	ObjectRef
	// Selector holds spec.selector.matchLabels; nil for none (or empty).
	Selector map[string]string
	Mode     MTLSMode
	// PortLevel maps a workload port to its mode.
	PortLevel map[uint16]MTLSMode
	// Created is metadata.creationTimestamp (zero when not given): Istio
	// uses the oldest of competing policies.
	Created time.Time
	// Revision is the istio.io/rev label, as for AuthorizationPolicy.
	Revision string
}

// meshRef is the object's reference with the Istio group.
func (c *decodeCtx) meshRef() ObjectRef {
	r := c.ref()
	r.Group = MeshGroup
	return r
}

// meshProblems collects validation errors of one Istio object; any of
// them makes Istio's webhook reject the object.
type meshProblems struct {
	c   *decodeCtx
	bad bool
}

func (p *meshProblems) errorf(path, format string, args ...any) {
	p.bad = true
	p.c.errorf(path, format, args...)
}

// reject reports that the object is left out, and returns true, when a
// problem was found.
func (p *meshProblems) reject() bool {
	if p.bad {
		p.c.errorf("spec", "Istio rejects this %s, so it is left out of the evaluation", p.c.kind)
	}
	return p.bad
}

func (l *Loader) addAuthorizationPolicy(c *decodeCtx, j []byte) {
	var obj istio.AuthorizationPolicy
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, true) {
		return
	}
	p := &AuthorizationPolicy{ObjectRef: c.meshRef(), Revision: obj.Labels["istio.io/rev"]}
	p.DryRun = strings.EqualFold(obj.Annotations["istio.io/dry-run"], "true")
	probs := &meshProblems{c: c}
	s := &obj.Spec
	switch s.Action {
	case "", istio.ActionAllow:
		p.Action = MeshAllow
	case istio.ActionDeny:
		p.Action = MeshDeny
	case istio.ActionAudit:
		p.Action = MeshAudit
	case istio.ActionCustom:
		p.Action = MeshCustom
	default:
		probs.errorf("spec.action", "invalid action %s: expected ALLOW, DENY, AUDIT or CUSTOM", quote(s.Action))
	}
	p.Selector = meshSelector(probs, "spec.selector", s.Selector)
	if s.TargetRef != nil {
		p.TargetRefs = append(p.TargetRefs, meshTargetRef(probs, "spec.targetRef", *s.TargetRef))
	}
	for i, t := range s.TargetRefs {
		p.TargetRefs = append(p.TargetRefs, meshTargetRef(probs, fmt.Sprintf("spec.targetRefs[%d]", i), t))
	}
	if s.TargetRef != nil && len(s.TargetRefs) > 0 {
		probs.errorf("spec.targetRef", "only one of targetRef and targetRefs can be set")
	}
	if s.Selector != nil && (s.TargetRef != nil || len(s.TargetRefs) > 0) {
		probs.errorf("spec.selector", "only one of selector and targetRefs can be set")
	}
	if s.Provider != nil {
		p.Provider = s.Provider.Name
		if p.Action != MeshCustom {
			probs.errorf("spec.provider", "provider is allowed only with the CUSTOM action")
		}
	}
	switch {
	case p.Action == MeshDeny && s.Rules == nil:
		probs.errorf("spec", "a DENY policy without rules never matches; Istio rejects it (add an empty rule {} to deny every request)")
	case p.Action == MeshCustom && s.Rules == nil:
		probs.errorf("spec", "a CUSTOM policy without rules never matches; Istio rejects it (add an empty rule {} to check every request)")
	case p.Action == MeshCustom && p.Provider == "":
		probs.errorf("spec.provider.name", "a CUSTOM policy needs provider.name")
	}
	p.Rules = make([]MeshRule, 0, len(s.Rules))
	for i := range s.Rules {
		p.Rules = append(p.Rules, meshRule(probs, p, fmt.Sprintf("spec.rules[%d]", i), &s.Rules[i]))
	}
	if probs.reject() {
		return
	}
	if p.DryRun {
		c.diag(Info, "metadata.annotations", "istio.io/dry-run: this policy is evaluated for logs only and never enforced; it is left out of the verdicts")
	}
	l.store(&loaded{ref: p.ObjectRef, obj: p, doc: c.doc, at: c.at}, p.Key())
}

// meshSelector validates a workload selector and returns its labels (nil
// for an absent or empty selector).
func meshSelector(probs *meshProblems, path string, s *istio.WorkloadSelector) map[string]string {
	if s == nil || len(s.MatchLabels) == 0 {
		return nil
	}
	for _, k := range sortedKeys(s.MatchLabels) {
		v := s.MatchLabels[k]
		switch {
		case k == "":
			probs.errorf(path+".matchLabels", "label key must not be empty")
		case strings.Contains(k, "*"), strings.Contains(v, "*"):
			probs.errorf(path+".matchLabels."+k, "wildcards are not allowed in workload selectors")
		default:
			if errs := validation.IsQualifiedName(k); len(errs) > 0 {
				probs.errorf(path+".matchLabels."+k, "invalid label key %s: %s", quote(k), strings.Join(errs, "; "))
			} else if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
				probs.errorf(path+".matchLabels."+k, "invalid label value %s: %s", quote(v), strings.Join(errs, "; "))
			}
		}
	}
	out := make(map[string]string, len(s.MatchLabels))
	for k, v := range s.MatchLabels {
		out[k] = v
	}
	return out
}

func meshTargetRef(probs *meshProblems, path string, t istio.PolicyTargetReference) TargetRef {
	if t.Kind == "" {
		probs.errorf(path+".kind", "kind must not be empty")
	}
	if t.Name == "" {
		probs.errorf(path+".name", "name must not be empty")
	}
	if t.Namespace != "" {
		probs.errorf(path+".namespace", "cross-namespace references are not supported: leave namespace out")
	}
	return TargetRef{Group: t.Group, Kind: t.Kind, Name: t.Name}
}

// meshRule validates and converts one rule [docs/mesh.md §4.7].
func meshRule(probs *meshProblems, p *AuthorizationPolicy, at string, r *istio.Rule) MeshRule {
	out := MeshRule{Loc: probs.c.field(at)}
	if r.From != nil && len(r.From) == 0 {
		probs.errorf(at+".from", "from must not be empty when given")
	}
	for i, f := range r.From {
		path := fmt.Sprintf("%s.from[%d].source", at, i)
		if f.Source == nil {
			probs.errorf(path, "source must be given")
			continue
		}
		out.From = append(out.From, meshSource(probs, p, path, f.Source))
	}
	if r.To != nil && len(r.To) == 0 {
		probs.errorf(at+".to", "to must not be empty when given")
	}
	for i, t := range r.To {
		path := fmt.Sprintf("%s.to[%d].operation", at, i)
		if t.Operation == nil {
			probs.errorf(path, "operation must be given")
			continue
		}
		out.To = append(out.To, meshOperation(probs, path, t.Operation))
	}
	for i, w := range r.When {
		out.When = append(out.When, meshCondition(probs, p, fmt.Sprintf("%s.when[%d]", at, i), w))
	}
	return out
}

func meshSource(probs *meshProblems, p *AuthorizationPolicy, path string, s *istio.Source) MeshSource {
	out := MeshSource{
		Principals: s.Principals, NotPrincipals: s.NotPrincipals,
		RequestPrincipals: s.RequestPrincipals, NotRequestPrincipals: s.NotRequestPrincipals,
		Namespaces: s.Namespaces, NotNamespaces: s.NotNamespaces,
		TrustDomains: s.TrustDomains, NotTrustDomains: s.NotTrustDomains,
	}
	strs := []struct {
		name string
		vals []string
	}{
		{"principals", s.Principals}, {"notPrincipals", s.NotPrincipals},
		{"requestPrincipals", s.RequestPrincipals}, {"notRequestPrincipals", s.NotRequestPrincipals},
		{"namespaces", s.Namespaces}, {"notNamespaces", s.NotNamespaces},
		{"trustDomains", s.TrustDomains}, {"notTrustDomains", s.NotTrustDomains},
		{"ipBlocks", s.IPBlocks}, {"notIpBlocks", s.NotIPBlocks},
		{"remoteIpBlocks", s.RemoteIPBlocks}, {"notRemoteIpBlocks", s.NotRemoteIPBlocks},
		{"serviceAccounts", s.ServiceAccounts}, {"notServiceAccounts", s.NotServiceAccounts},
	}
	empty := true
	for _, f := range strs {
		if len(f.vals) > 0 && f.name != "trustDomains" && f.name != "notTrustDomains" {
			empty = false
		}
		for k, v := range f.vals {
			if v == "" {
				probs.errorf(fmt.Sprintf("%s.%s[%d]", path, f.name, k), "empty values are not allowed")
			}
		}
	}
	if empty {
		probs.errorf(path, "source must not be empty")
	}
	if len(s.ServiceAccounts)+len(s.NotServiceAccounts) > 0 && len(s.Principals)+len(s.NotPrincipals)+len(s.Namespaces)+len(s.NotNamespaces) > 0 {
		probs.errorf(path, "serviceAccounts cannot be set with namespaces or principals")
	}
	if p.Action == MeshCustom {
		for _, f := range strs {
			switch f.name {
			case "principals", "notPrincipals", "namespaces", "notNamespaces", "serviceAccounts", "notServiceAccounts",
				"requestPrincipals", "notRequestPrincipals":
				if len(f.vals) > 0 {
					probs.errorf(path+"."+f.name, "%s is not supported with the CUSTOM action", f.name)
				}
			}
		}
	}
	out.IPBlocks = meshPrefixes(probs, path+".ipBlocks", s.IPBlocks)
	out.NotIPBlocks = meshPrefixes(probs, path+".notIpBlocks", s.NotIPBlocks)
	out.RemoteIPBlocks = meshPrefixes(probs, path+".remoteIpBlocks", s.RemoteIPBlocks)
	out.NotRemoteIPBlocks = meshPrefixes(probs, path+".notRemoteIpBlocks", s.NotRemoteIPBlocks)
	out.ServiceAccounts = meshServiceAccounts(probs, p.Namespace, path+".serviceAccounts", s.ServiceAccounts)
	out.NotServiceAccounts = meshServiceAccounts(probs, p.Namespace, path+".notServiceAccounts", s.NotServiceAccounts)
	return out
}

// meshServiceAccounts fills in the policy's namespace of "name" entries.
func meshServiceAccounts(probs *meshProblems, ns, path string, list []string) []string {
	var out []string
	for i, v := range list {
		if strings.Contains(v, "*") {
			probs.errorf(fmt.Sprintf("%s[%d]", path, i), "wildcards are not allowed in service accounts")
			continue
		}
		n, name, ok := strings.Cut(v, "/")
		if !ok {
			n, name = ns, v
		}
		if n == "" || name == "" || strings.Contains(name, "/") {
			probs.errorf(fmt.Sprintf("%s[%d]", path, i), "invalid service account %s: expected namespace/name or name", quote(v))
			continue
		}
		out = append(out, n+"/"+name)
	}
	return out
}

// meshPrefixes parses IP blocks: an address or a CIDR (host bits are
// masked, as Envoy does).
func meshPrefixes(probs *meshProblems, path string, list []string) []netip.Prefix {
	var out []netip.Prefix
	for i, v := range list {
		var p netip.Prefix
		var err error
		if strings.Contains(v, "/") {
			p, err = netip.ParsePrefix(v)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(v); err == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err != nil || p.Addr().Zone() != "" {
			if v != "" {
				probs.errorf(fmt.Sprintf("%s[%d]", path, i), "invalid IP block %s: expected an address such as 10.0.0.1 or a CIDR such as 10.0.0.0/16", quote(v))
			}
			continue
		}
		a := p.Addr()
		bits := p.Bits()
		if a.Is4In6() && bits >= 96 {
			a, bits = a.Unmap(), bits-96
		}
		out = append(out, netip.PrefixFrom(a, bits).Masked())
	}
	return out
}

func meshOperation(probs *meshProblems, path string, o *istio.Operation) MeshOperation {
	out := MeshOperation{Hosts: o.Hosts, NotHosts: o.NotHosts, Methods: o.Methods, NotMethods: o.NotMethods, Paths: o.Paths, NotPaths: o.NotPaths}
	if len(o.Hosts)+len(o.NotHosts)+len(o.Ports)+len(o.NotPorts)+len(o.Methods)+len(o.NotMethods)+len(o.Paths)+len(o.NotPaths) == 0 {
		probs.errorf(path, "operation must not be empty")
	}
	for _, f := range []struct {
		name string
		vals []string
	}{{"hosts", o.Hosts}, {"notHosts", o.NotHosts}, {"methods", o.Methods}, {"notMethods", o.NotMethods}, {"paths", o.Paths}, {"notPaths", o.NotPaths}} {
		for k, v := range f.vals {
			if v == "" {
				probs.errorf(fmt.Sprintf("%s.%s[%d]", path, f.name, k), "empty values are not allowed")
			}
		}
	}
	out.Ports = meshPorts(probs, path+".ports", o.Ports)
	out.NotPorts = meshPorts(probs, path+".notPorts", o.NotPorts)
	return out
}

// meshPorts parses port strings: exact numbers 0-65535 (no ranges or
// names).
func meshPorts(probs *meshProblems, path string, list []string) []uint16 {
	var out []uint16
	for i, v := range list {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n > 65535 {
			probs.errorf(fmt.Sprintf("%s[%d]", path, i), "invalid port %s: expected a number 0-65535 (ranges and names are not supported)", quote(v))
			continue
		}
		out = append(out, uint16(n))
	}
	return out
}

// meshConditionKeys are the attributes a when condition may name
// [docs/mesh.md §4.4]; the value says whether its
// values are addresses (ip) or ports (port).
var meshConditionKeys = map[string]string{
	"source.ip": "ip", "remote.ip": "ip", "destination.ip": "ip",
	"destination.port": "port",
	"source.namespace": "", "source.principal": "", "source.serviceAccount": "",
	"request.auth.principal": "", "request.auth.audiences": "", "request.auth.presenter": "",
	"connection.sni": "",
}

// meshMapKeys are the attributes that take a [name] suffix.
var meshMapKeys = []string{"request.headers", "request.auth.claims", "experimental.envoy.filters."}

func meshCondition(probs *meshProblems, p *AuthorizationPolicy, path string, w istio.Condition) MeshCondition {
	out := MeshCondition{Key: w.Key, Values: w.Values, NotValues: w.NotValues}
	if w.Key == "" {
		probs.errorf(path+".key", "key must not be empty")
		return out
	}
	if len(w.Values) == 0 && len(w.NotValues) == 0 {
		probs.errorf(path, "at least one of values and notValues must be set for key %s", quote(w.Key))
	}
	kind, known := meshConditionKeys[w.Key]
	if !known {
		for _, m := range meshMapKeys {
			if strings.HasPrefix(w.Key, m) {
				known = true
				open := strings.Index(w.Key, "[")
				if !strings.HasSuffix(w.Key, "]") || open <= 0 || open >= len(w.Key)-2 {
					probs.errorf(path+".key", "invalid key %s: expected the form %s[name]", quote(w.Key), strings.TrimSuffix(m, "."))
				}
			}
		}
	}
	switch {
	case strings.HasPrefix(w.Key, "destination.labels"):
		probs.errorf(path+".key", "attribute %s is replaced by the workload selector", quote(w.Key))
	case w.Key == "destination.namespace":
		probs.errorf(path+".key", "attribute %s is replaced by metadata.namespace", quote(w.Key))
	case w.Key == "destination.name" || w.Key == "destination.user":
		probs.errorf(path+".key", "attribute %s is supported only in the removed v1alpha1 API", quote(w.Key))
	case !known:
		probs.errorf(path+".key", "unknown attribute %s", quote(w.Key))
	}
	if p.Action == MeshCustom && (w.Key == "source.namespace" || w.Key == "source.serviceAccount" || w.Key == "source.principal" || strings.HasPrefix(w.Key, "request.auth.")) {
		probs.errorf(path+".key", "%s is not supported with the CUSTOM action", w.Key)
	}
	for _, vs := range []struct {
		name string
		vals []string
	}{{"values", w.Values}, {"notValues", w.NotValues}} {
		for k, v := range vs.vals {
			at := fmt.Sprintf("%s.%s[%d]", path, vs.name, k)
			if v == "" {
				probs.errorf(at, "empty values are not allowed")
				continue
			}
			if kind == "port" {
				if n, err := strconv.ParseUint(v, 10, 32); err != nil || n > 65535 {
					probs.errorf(at, "invalid port %s: expected a number 0-65535", quote(v))
				}
			}
		}
	}
	if kind == "ip" {
		out.Prefixes = meshPrefixes(probs, path+".values", w.Values)
		out.NotPrefixes = meshPrefixes(probs, path+".notValues", w.NotValues)
	}
	return out
}

func (l *Loader) addPeerAuthentication(c *decodeCtx, j []byte) {
	var obj istio.PeerAuthentication
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, true) {
		return
	}
	p := &PeerAuthentication{ObjectRef: c.meshRef(), Revision: obj.Labels["istio.io/rev"], Created: obj.CreationTimestamp.Time}
	probs := &meshProblems{c: c}
	s := &obj.Spec
	p.Selector = meshSelector(probs, "spec.selector", s.Selector)
	if s.MTLS != nil {
		p.Mode = meshMode(probs, "spec.mtls.mode", s.MTLS.Mode)
	}
	if s.PortLevelMTLS != nil && len(s.PortLevelMTLS) == 0 {
		probs.errorf("spec.portLevelMtls", "portLevelMtls, when given, must have at least one port")
	}
	if len(s.PortLevelMTLS) > 0 {
		if p.Selector == nil {
			probs.errorf("spec.portLevelMtls", "portLevelMtls requires a workload selector (mesh- and namespace-wide policies cannot set port modes)")
		}
		p.PortLevel = map[uint16]MTLSMode{}
		keys := make([]string, 0, len(s.PortLevelMTLS))
		for k := range s.PortLevelMTLS {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			n, err := strconv.ParseUint(k, 10, 32)
			if err != nil || n < 1 || n > 65535 {
				probs.errorf("spec.portLevelMtls."+k, "invalid port %s: expected a number 1-65535", quote(k))
				continue
			}
			p.PortLevel[uint16(n)] = meshMode(probs, "spec.portLevelMtls."+k+".mode", s.PortLevelMTLS[k].Mode)
		}
	}
	if probs.reject() {
		return
	}
	l.store(&loaded{ref: p.ObjectRef, obj: p, doc: c.doc, at: c.at}, p.Key())
}

func meshMode(probs *meshProblems, path, s string) MTLSMode {
	switch s {
	case "", istio.ModeUnset:
		return MTLSUnset
	case istio.ModeDisable:
		return MTLSDisable
	case istio.ModePermissive:
		return MTLSPermissive
	case istio.ModeStrict:
		return MTLSStrict
	}
	probs.errorf(path, "invalid mode %s: expected UNSET, DISABLE, PERMISSIVE or STRICT", quote(s))
	return MTLSUnset
}

// meshAnnotations keeps the annotations that decide a pod's place in an
// Istio mesh: sidecar injection (sidecar.istio.io/inject, .../status),
// inbound capture (traffic.sidecar.istio.io/...) and ambient redirection.
func meshAnnotations(a map[string]string) map[string]string {
	var out map[string]string
	for k, v := range a {
		if strings.HasPrefix(k, "sidecar.istio.io/") || strings.HasPrefix(k, "traffic.sidecar.istio.io/") || strings.HasPrefix(k, "ambient.istio.io/") {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

// hasIstioProxy reports whether the pod spec holds the Istio sidecar
// container (istio-proxy), in containers or, with native sidecars, in init
// containers.
func hasIstioProxy(spec *corev1.PodSpec) bool {
	for _, list := range [][]corev1.Container{spec.Containers, spec.InitContainers} {
		for _, ct := range list {
			if ct.Name == "istio-proxy" {
				return true
			}
		}
	}
	return false
}
