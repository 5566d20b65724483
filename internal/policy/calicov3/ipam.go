package calicov3

import (
	"net/netip"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Kinds of the address-management objects in this package.
const (
	KindIPPool              = "IPPool"
	KindEgressGatewayPolicy = "EgressGatewayPolicy"
)

// Pool uses (IPPool spec.allowedUses).
const (
	UseWorkload     = "Workload"
	UseTunnel       = "Tunnel"
	UseLoadBalancer = "LoadBalancer"
)

// IPPool is a range of addresses Calico IPAM assigns pod addresses from
// (Calico ippool.go; docs/calico-ipam.md). Only the fields that decide
// which pods get addresses from the pool and how their traffic leaves the
// cluster are read; the encapsulation fields are accepted and ignored.
type IPPool struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`

	Spec IPPoolSpec `json:"spec"`
}

// IPPoolSpec is the spec of an [IPPool].
type IPPoolSpec struct {
	// CIDR is the pool's range.
	CIDR string `json:"cidr"`
	// BlockSize is the prefix length of the blocks handed to nodes
	// (default 26 for IPv4, 122 for IPv6).
	BlockSize *int `json:"blockSize,omitempty"`
	// NATOutgoing masquerades traffic from the pool's pods to destinations
	// outside every IP pool behind the node's address.
	NATOutgoing bool `json:"natOutgoing,omitempty"`
	// Disabled stops IPAM assigning new addresses from the pool.
	Disabled bool `json:"disabled,omitempty"`
	// NodeSelector (Calico selector syntax) picks the nodes whose pods get
	// addresses from the pool when no annotation names a pool; empty
	// means all().
	NodeSelector string `json:"nodeSelector,omitempty"`
	// AllowedUses lists Workload, Tunnel, LoadBalancer; empty means
	// Workload and Tunnel.
	AllowedUses []string `json:"allowedUses,omitempty"`
	// DisableBGPExport, IPIPMode, VXLANMode and AssignmentMode are read
	// so that they are not reported as unknown; they do not change
	// addresses or reachability.
	DisableBGPExport bool   `json:"disableBGPExport,omitempty"`
	IPIPMode         string `json:"ipipMode,omitempty"`
	VXLANMode        string `json:"vxlanMode,omitempty"`
	AssignmentMode   string `json:"assignmentMode,omitempty"`
}

// Prefix returns the pool's CIDR, masked; ok is false when it does not
// parse.
func (p *IPPool) Prefix() (netip.Prefix, bool) {
	pr, err := netip.ParsePrefix(p.Spec.CIDR)
	if err != nil {
		return netip.Prefix{}, false
	}
	return pr.Masked(), true
}

// ForWorkloads reports whether IPAM assigns pod addresses from the pool
// (allowedUses empty or holding Workload).
func (p *IPPool) ForWorkloads() bool {
	if len(p.Spec.AllowedUses) == 0 {
		return true
	}
	for _, u := range p.Spec.AllowedUses {
		if u == UseWorkload {
			return true
		}
	}
	return false
}

// Validate checks the CIDR (a valid prefix, not overlapping the link-local
// range, big enough for one block), the block size (20-32 for IPv4,
// 116-128 for IPv6), the node selector's syntax and the allowed uses, as
// Calico's validator does.
func (p *IPPool) Validate() []FieldError {
	var l errs
	pr, err := netip.ParsePrefix(p.Spec.CIDR)
	if err != nil {
		l.addf("spec.cidr", "invalid CIDR %q: want a network such as 10.244.0.0/16", p.Spec.CIDR)
	} else {
		pr = pr.Masked()
		linkLocal := netip.MustParsePrefix("169.254.0.0/16")
		if pr.Addr().Is6() {
			linkLocal = netip.MustParsePrefix("fe80::/10")
		}
		if pr.Overlaps(linkLocal) {
			l.addf("spec.cidr", "%s overlaps the link-local range %s", pr, linkLocal)
		}
		lo, hi, def := 20, 32, 26
		if pr.Addr().Is6() {
			lo, hi, def = 116, 128, 122
		}
		bs := def
		if p.Spec.BlockSize != nil {
			bs = *p.Spec.BlockSize
			if bs < lo || bs > hi {
				l.addf("spec.blockSize", "block size %d out of range: want %d-%d for this family", bs, lo, hi)
			}
		}
		if pr.Bits() > bs {
			l.addf("spec.cidr", "%s is smaller than one block (/%d)", pr, bs)
		}
	}
	l.selector("spec.nodeSelector", p.Spec.NodeSelector, noGlobal)
	for i, u := range p.Spec.AllowedUses {
		switch u {
		case UseWorkload, UseTunnel, UseLoadBalancer:
		default:
			l.addf(at("spec.allowedUses", i), "unknown use %q: want Workload, Tunnel or LoadBalancer", u)
		}
	}
	return l
}

// EgressGatewayPolicy (Calico Enterprise) sends a pod's traffic to some
// destinations through egress gateways and to others directly; the rule
// whose destination is the longest prefix holding the address applies.
// Pods and namespaces opt in with the egress.projectcalico.org/egressGatewayPolicy
// annotation (docs/calico-ipam.md).
type EgressGatewayPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`

	Spec EgressGatewayPolicySpec `json:"spec"`
}

// EgressGatewayPolicySpec is the spec of an [EgressGatewayPolicy].
type EgressGatewayPolicySpec struct {
	Rules []EgressGatewayRule `json:"rules,omitempty"`
}

// EgressGatewayRule is one rule of an [EgressGatewayPolicy].
type EgressGatewayRule struct {
	Description string `json:"description,omitempty"`
	// Destination, when absent, means every address (0.0.0.0/0).
	Destination *EgressGatewayDestination `json:"destination,omitempty"`
	// Gateway, when absent, sends the traffic directly (no gateway).
	Gateway           *EgressGatewaySelector `json:"gateway,omitempty"`
	GatewayPreference string                 `json:"gatewayPreference,omitempty"`
}

// EgressGatewayDestination is the destination range of a rule.
type EgressGatewayDestination struct {
	CIDR string `json:"cidr,omitempty"`
}

// EgressGatewaySelector selects the gateway pods of a rule.
type EgressGatewaySelector struct {
	Selector          string `json:"selector,omitempty"`
	NamespaceSelector string `json:"namespaceSelector,omitempty"`
	MaxNextHops       int    `json:"maxNextHops,omitempty"`
}

// Validate checks each rule's destination CIDR and gateway selectors, and
// that no two rules have the same destination (rules are matched by
// longest prefix, so a repeated destination is ambiguous).
func (p *EgressGatewayPolicy) Validate() []FieldError {
	var l errs
	seen := map[netip.Prefix]bool{}
	for i, r := range p.Spec.Rules {
		path := at("spec.rules", i)
		dst := netip.MustParsePrefix("0.0.0.0/0")
		if r.Destination != nil && r.Destination.CIDR != "" {
			pr, err := netip.ParsePrefix(r.Destination.CIDR)
			if err != nil {
				l.addf(path+".destination.cidr", "invalid CIDR %q", r.Destination.CIDR)
				continue
			}
			dst = pr.Masked()
		}
		if seen[dst] {
			l.addf(path+".destination.cidr", "destination %s is used by an earlier rule", dst)
		}
		seen[dst] = true
		if r.Gateway != nil {
			l.selector(path+".gateway.selector", r.Gateway.Selector, noGlobal)
			l.selector(path+".gateway.namespaceSelector", r.Gateway.NamespaceSelector, noGlobal)
		}
	}
	return l
}
