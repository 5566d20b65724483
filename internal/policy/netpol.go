package policy

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/netreach/netreach/internal/selector"
)

// addNetworkPolicy decodes a networking.k8s.io/v1 NetworkPolicy, applies
// the API server's defaulting (policyTypes, port protocol) and validation.
// Invalid rules are reported as errors and marked, so that evaluation
// leaves them out [docs/semantics.md §2.10].
func (l *Loader) addNetworkPolicy(c *decodeCtx, j []byte) {
	var obj networkingv1.NetworkPolicy
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, true) {
		return
	}
	np := &NetworkPolicy{ObjectRef: c.ref(), Spec: obj.Spec, Invalid: map[RuleKey]bool{}, RuleSource: map[RuleKey]Location{}}
	if _, err := selector.FromLabelSelector(&np.Spec.PodSelector); err != nil {
		c.errorf("spec.podSelector", "invalid label selector: %v; the policy is left out", err)
		return
	}
	validateKubeNetworkPolicy(c, np, "spec")
	l.store(&loaded{ref: np.ObjectRef, obj: np, doc: c.doc, at: c.at}, np.Key())
}

// validateKubeNetworkPolicy defaults and validates the spec of a Kubernetes
// NetworkPolicy (also used for Calico's StagedKubernetesNetworkPolicy).
func validateKubeNetworkPolicy(c *decodeCtx, np *NetworkPolicy, spec string) {
	s := &np.Spec
	types := s.PolicyTypes[:0:0]
	if len(s.PolicyTypes) > 2 {
		c.errorf(spec+".policyTypes", "at most 2 policy types may be given, got %d", len(s.PolicyTypes))
	}
	for i, t := range s.PolicyTypes {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			c.errorf(fmt.Sprintf("%s.policyTypes[%d]", spec, i), "unsupported policy type %s: expected Ingress or Egress; it is ignored", quote(string(t)))
			continue
		}
		types = append(types, t)
	}
	// Defaulting [K8S-DEF SetDefaults_NetworkPolicy]: absent or empty
	// policyTypes become Ingress, plus Egress when egress rules exist. When
	// every given type is invalid, the default is used too: ignoring the
	// policy would fail open.
	if len(types) == 0 {
		np.DefaultedTypes = true
		types = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(s.Egress) > 0 {
			types = append(types, networkingv1.PolicyTypeEgress)
		}
	}
	s.PolicyTypes = types
	if !np.Applies(Ingress) && len(s.Ingress) > 0 {
		c.warnf(spec+".ingress", "policyTypes does not list Ingress, so these ingress rules have no effect")
	}
	if !np.Applies(Egress) && len(s.Egress) > 0 {
		c.warnf(spec+".egress", "policyTypes does not list Egress, so these egress rules have no effect")
	}
	for i := range s.Ingress {
		at := fmt.Sprintf("%s.ingress[%d]", spec, i)
		key := RuleKey{Ingress, i}
		np.RuleSource[key] = c.field(at)
		ok := validatePeers(c, at+".from", s.Ingress[i].From)
		ok = validatePorts(c, at+".ports", s.Ingress[i].Ports) && ok
		if !ok {
			np.Invalid[key] = true
		}
	}
	for i := range s.Egress {
		at := fmt.Sprintf("%s.egress[%d]", spec, i)
		key := RuleKey{Egress, i}
		np.RuleSource[key] = c.field(at)
		ok := validatePeers(c, at+".to", s.Egress[i].To)
		ok = validatePorts(c, at+".ports", s.Egress[i].Ports) && ok
		if !ok {
			np.Invalid[key] = true
		}
	}
	lintPortsOnlyRules(c, spec, s)
}

const ruleDropped = "; the rule is left out of the evaluation"

// validatePeers checks each peer as the API server does [K8S-VAL
// ValidateNetworkPolicyPeer, ValidateIPBlock].
func validatePeers(c *decodeCtx, at string, peers []networkingv1.NetworkPolicyPeer) bool {
	ok := true
	for j, p := range peers {
		pat := fmt.Sprintf("%s[%d]", at, j)
		n := 0
		if p.PodSelector != nil {
			n++
			if _, err := selector.FromLabelSelector(p.PodSelector); err != nil {
				c.errorf(pat+".podSelector", "invalid label selector: %v%s", err, ruleDropped)
				ok = false
			}
		}
		if p.NamespaceSelector != nil {
			n++
			if _, err := selector.FromLabelSelector(p.NamespaceSelector); err != nil {
				c.errorf(pat+".namespaceSelector", "invalid label selector: %v%s", err, ruleDropped)
				ok = false
			}
		}
		if p.IPBlock != nil {
			n++
			if n > 1 {
				c.errorf(pat, "ipBlock cannot be combined with podSelector or namespaceSelector in one peer%s", ruleDropped)
				ok = false
			}
			if !validateIPBlock(c, pat+".ipBlock", p.IPBlock) {
				ok = false
			}
		}
		if n == 0 {
			c.errorf(pat, "peer must specify podSelector, namespaceSelector or ipBlock%s", ruleDropped)
			ok = false
		}
	}
	return ok
}

// validateIPBlock parses cidr and except and checks that every except is a
// strict subset of cidr. Non-canonical forms are normalised in place (with
// a warning) so both evaluators read the same prefixes.
func validateIPBlock(c *decodeCtx, at string, b *networkingv1.IPBlock) bool {
	cidr, masked, err := ParseCIDR(b.CIDR)
	if err != nil {
		c.errorf(at+".cidr", "%v%s", err, ruleDropped)
		return false
	}
	if masked || cidr.String() != b.CIDR {
		c.warnf(at+".cidr", "CIDR %s is read as %s", quote(b.CIDR), cidr)
		b.CIDR = cidr.String()
	}
	ok := true
	for k, e := range b.Except {
		eat := fmt.Sprintf("%s.except[%d]", at, k)
		ex, masked, err := ParseCIDR(e)
		if err != nil {
			c.errorf(eat, "%v%s", err, ruleDropped)
			ok = false
			continue
		}
		if masked || ex.String() != e {
			c.warnf(eat, "CIDR %s is read as %s", quote(e), ex)
			b.Except[k] = ex.String()
		}
		if msg := exceptProblem(cidr, ex); msg != "" {
			c.errorf(eat, "%s%s", msg, ruleDropped)
			ok = false
		}
	}
	return ok
}

// exceptProblem says why ex is not a strict subset of cidr, or returns ""
// when it is [K8S-VAL ValidateIPBlock].
func exceptProblem(cidr, ex netip.Prefix) string {
	switch {
	case ex.Addr().Is4() != cidr.Addr().Is4():
		return fmt.Sprintf("except %s must be strictly inside cidr %s, but it is of the other IP family", ex, cidr)
	case ex == cidr:
		return fmt.Sprintf("except %s must be strictly inside cidr %s, but it is equal to it", ex, cidr)
	case ex.Bits() <= cidr.Bits() || !cidr.Contains(ex.Addr()):
		return fmt.Sprintf("except %s must be strictly inside cidr %s, but it is not inside it", ex, cidr)
	}
	return ""
}

// validatePorts defaults each port's protocol to TCP and checks numbers,
// names and ranges [K8S-VAL ValidateNetworkPolicyPort].
func validatePorts(c *decodeCtx, at string, ports []networkingv1.NetworkPolicyPort) bool {
	ok := true
	for k := range ports {
		p := &ports[k]
		pat := fmt.Sprintf("%s[%d]", at, k)
		if p.Protocol == nil {
			tcp := corev1.ProtocolTCP
			p.Protocol = &tcp
		} else if _, err := ParseKubeProtocol(string(*p.Protocol)); err != nil {
			c.errorf(pat+".protocol", "%v%s", err, ruleDropped)
			ok = false
		}
		if p.Port != nil {
			if p.Port.Type == intstr.Int {
				if p.Port.IntVal < 1 || p.Port.IntVal > 65535 {
					c.errorf(pat+".port", "invalid port %d: expected 1-65535%s", p.Port.IntVal, ruleDropped)
					ok = false
				}
			} else if errs := validation.IsValidPortName(p.Port.StrVal); len(errs) > 0 {
				c.errorf(pat+".port", "invalid named port %s: %s%s", quote(p.Port.StrVal), strings.Join(errs, "; "), ruleDropped)
				ok = false
			}
		}
		if p.EndPort != nil {
			switch {
			case p.Port == nil:
				c.errorf(pat+".endPort", "endPort requires port to be set%s", ruleDropped)
				ok = false
			case p.Port.Type == intstr.String:
				c.errorf(pat+".endPort", "endPort cannot be used with the named port %s%s", quote(p.Port.StrVal), ruleDropped)
				ok = false
			case *p.EndPort < p.Port.IntVal:
				c.errorf(pat+".endPort", "endPort %d must be greater than or equal to port %d%s", *p.EndPort, p.Port.IntVal, ruleDropped)
				ok = false
			case *p.EndPort > 65535:
				c.errorf(pat+".endPort", "invalid endPort %d: expected at most 65535%s", *p.EndPort, ruleDropped)
				ok = false
			}
		}
	}
	return ok
}

// lintPortsOnlyRules flags the "- ports:" trap [docs/semantics.md §6(b)]: a rule with
// ports but no peers next to a rule with peers but no ports. Written with
// one dash too many, "from X on port P" becomes "from X on any port, or from
// anyone on port P".
func lintPortsOnlyRules(c *decodeCtx, spec string, s *networkingv1.NetworkPolicySpec) {
	check := func(dir string, n int, peers func(int) int, ports func(int) int) {
		portsOnly, peersOnly := -1, -1
		for i := 0; i < n; i++ {
			switch {
			case peers(i) == 0 && ports(i) > 0:
				portsOnly = i
			case peers(i) > 0 && ports(i) == 0:
				peersOnly = i
			}
		}
		if portsOnly >= 0 && peersOnly >= 0 {
			c.warnf(fmt.Sprintf("%s.%s[%d]", spec, dir, portsOnly),
				"rule has ports but no peers, next to %s[%d] which has peers but no ports: two rules (any port from those peers, OR those ports from anyone); if one rule was meant, remove the '-' before 'ports'", dir, peersOnly)
		}
	}
	check("ingress", len(s.Ingress), func(i int) int { return len(s.Ingress[i].From) }, func(i int) int { return len(s.Ingress[i].Ports) })
	check("egress", len(s.Egress), func(i int) int { return len(s.Egress[i].To) }, func(i int) int { return len(s.Egress[i].Ports) })
}
