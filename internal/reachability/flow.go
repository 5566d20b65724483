package reachability

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/netreach/netreach/internal/policy"
)

// Verdict is the answer for one flow.
type Verdict uint8

// Verdicts. The zero value is Deny.
const (
	// Deny: the connection cannot be opened.
	Deny Verdict = iota
	// Allow: the connection can be opened.
	Allow
	// Conditional: the answer depends on something that cannot be known
	// offline (an HTTP match, a DNS name, a source port); see the trace
	// for the condition.
	Conditional
)

// String returns "allow", "deny" or "conditional".
func (v Verdict) String() string {
	switch v {
	case Allow:
		return "allow"
	case Deny:
		return "deny"
	case Conditional:
		return "conditional"
	}
	return fmt.Sprintf("Verdict(%d)", uint8(v))
}

// MarshalText returns "allow", "deny" or "conditional".
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// combine joins the egress and ingress verdicts of one connection: Deny
// dominates, then Conditional, then Allow [docs/semantics.md §5.2].
func combine(a, b Verdict) Verdict {
	if a == Deny || b == Deny {
		return Deny
	}
	if a == Conditional || b == Conditional {
		return Conditional
	}
	return Allow
}

// Entity is one side of a flow: an endpoint of the snapshot, or an IP
// address outside the cluster's endpoints.
type Entity struct {
	// Endpoint is the pod or workload; nil for an address.
	Endpoint *policy.Endpoint
	// IP is the address when Endpoint is nil.
	IP netip.Addr
}

// EndpointEntity returns the entity for an endpoint.
func EndpointEntity(e *policy.Endpoint) Entity { return Entity{Endpoint: e} }

// IPEntity returns the entity for an address outside the cluster.
func IPEntity(ip netip.Addr) Entity { return Entity{IP: ip.Unmap()} }

// String returns "namespace/name" or the address.
func (e Entity) String() string {
	if e.Endpoint != nil {
		return e.Endpoint.ID()
	}
	return e.IP.String()
}

// isPodNetwork reports whether the entity is a pod on the pod network: the
// only kind of entity that pod and namespace selectors can match and that
// network policies apply to [docs/semantics.md §1.4, 2.9].
func (e Entity) isPodNetwork() bool {
	return e.Endpoint != nil && !e.Endpoint.HostNetwork && e.Endpoint.Host == nil
}

// addr returns the entity's address of the given family, if it has one.
func (e Entity) addr(family int) (netip.Addr, bool) {
	if e.Endpoint == nil {
		if e.IP.IsValid() && (e.IP.Is4() == (family == 4)) {
			return e.IP, true
		}
		return netip.Addr{}, false
	}
	return e.Endpoint.IP(family)
}

// Flow is one connection attempt: from Src to Dst on a protocol and
// destination port (Port is 0 for protocols without ports).
type Flow struct {
	Src, Dst Entity
	Protocol policy.Protocol
	Port     uint16
}

// MarshalJSON writes the flow with entity names.
func (f Flow) MarshalJSON() ([]byte, error) {
	type flowJSON struct {
		Source      string `json:"source"`
		Destination string `json:"destination"`
		Protocol    string `json:"protocol"`
		Port        int    `json:"port,omitempty"`
	}
	return json.Marshal(flowJSON{f.Src.String(), f.Dst.String(), f.Protocol.String(), int(f.Port)})
}

// String returns "src -> dst port/PROTO".
func (f Flow) String() string {
	p := f.Protocol.String()
	if f.Protocol.HasPorts() {
		p = strconv.Itoa(int(f.Port)) + "/" + p
	}
	return f.Src.String() + " -> " + f.Dst.String() + " " + p
}

// family returns the IP family (4 or 6) a flow between src and dst uses:
// the family of an address side; for two endpoints IPv4 unless one of them
// has only IPv6 addresses. Endpoints without addresses (workload
// templates) count as dual-stack.
func family(src, dst Entity) int {
	for _, e := range []Entity{src, dst} {
		if e.Endpoint == nil && e.IP.IsValid() {
			if e.IP.Is4() {
				return 4
			}
			return 6
		}
	}
	for _, e := range []Entity{src, dst} {
		if !v4Capable(e.Endpoint) {
			return 6
		}
	}
	return 4
}

// v4Capable reports whether an endpoint can take part in an IPv4 flow: it
// has an IPv4 address, or no address at all.
func v4Capable(e *policy.Endpoint) bool {
	if e != nil && len(e.IPs) == 0 && len(e.PoolRanges) > 0 {
		for _, p := range e.PoolRanges {
			if p.Addr().Is4() {
				return true
			}
		}
		return false
	}
	if e == nil || len(e.IPs) == 0 {
		return true
	}
	_, ok := e.IP(4)
	return ok
}
