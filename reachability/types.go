package reachability

import (
	"iter"
	"strconv"

	"github.com/netreach/netreach/internal/enumtext"
	ipolicy "github.com/netreach/netreach/internal/policy"
	ireach "github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/policy"
)

// Verdict is the answer for one connection. It is the only verdict type
// of the public API. The zero value is Deny.
type Verdict uint8

// Verdicts.
const (
	// Deny: the connection cannot be opened.
	Deny Verdict = iota
	// Allow: the connection can be opened.
	Allow
	// Conditional: the answer depends on something netreach cannot know
	// offline (an HTTP match of the service mesh, a DNS name, a source
	// port); [Matrix.Explain] names the condition.
	Conditional
)

// String returns "allow", "deny" or "conditional".
func (v Verdict) String() string { return ireach.Verdict(v).String() }

// MarshalText returns the String form.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (v *Verdict) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(v, b, Deny, Allow, Conditional)
}

// Port is one concrete destination: a protocol and, for TCP, UDP and
// SCTP, a port number (0 for protocols without ports, such as ICMP). The
// zero Port is invalid: the questions refuse it, and TCP, UDP or SCTP
// without a port number, with an *policy.InvalidInputError.
type Port struct {
	Protocol policy.Protocol `json:"protocol"`
	Port     uint16          `json:"port,omitempty"`
}

// String returns "80/TCP", or the protocol alone ("ICMP") for protocols
// without ports.
func (p Port) String() string { return p.internal().String() }

// check returns an *policy.InvalidInputError for a port no connection
// has: the zero Port (no protocol), or TCP, UDP or SCTP without a port
// number.
func (p Port) check(op string) error {
	switch {
	case p.Protocol == 0:
		return &policy.InvalidInputError{Op: "reachability: " + op, Reason: "a Port without a protocol"}
	case p.Port == 0 && (p.Protocol == policy.TCP || p.Protocol == policy.UDP || p.Protocol == policy.SCTP):
		return &policy.InvalidInputError{Op: "reachability: " + op, Reason: "port 0/" + p.Protocol.String() + ": " + p.Protocol.String() + " needs a port number 1-65535"}
	}
	return nil
}

func (p Port) internal() ireach.Port {
	return ireach.Port{Protocol: ipolicy.Protocol(p.Protocol), Number: p.Port}
}

// Connections is a set of connections by protocol and destination port:
// what a source may open to a destination, or what a group may open to
// another. Ports of TCP, UDP and SCTP are merged ranges; other protocols
// are in the set whole or not at all. The zero value is the empty set.
// Connections are immutable values, safe for concurrent use.
type Connections struct {
	c ireach.Connections
}

// AllConnections returns every connection: every protocol and port.
func AllConnections() Connections {
	return Connections{ireach.AllConnections(ireach.ScopeAllProtocols)}
}

// ParseConnections reads what [Connections.String] writes, such as "TCP
// 80,443,8000-8100; UDP 53", "ICMP", "All Connections" or "No
// Connections". Protocol names are case-insensitive; ports may be given
// in any order and may overlap.
func ParseConnections(s string) (Connections, error) {
	c, err := ireach.ParseConnections(s, ireach.ScopeAllProtocols)
	if err != nil {
		return Connections{}, err
	}
	return Connections{c}, nil
}

// String returns the set as people read it: "All Connections", "No
// Connections", or the protocols in the order TCP, UDP, SCTP, then the
// others by number, separated by "; ", each protocol that carries ports
// with its merged ranges: "TCP 80,443,8000-8100; UDP 53".
func (c Connections) String() string { return c.c.String() }

// Contains reports whether the set holds the port (the number is ignored
// for protocols without ports).
func (c Connections) Contains(p Port) bool {
	return c.c.Contains(ipolicy.Protocol(p.Protocol), p.Port)
}

// IsEmpty reports whether the set holds no connection.
func (c Connections) IsEmpty() bool { return c.c.IsEmpty() }

// IsAll reports whether the set holds every connection. The sets a
// matrix in Kubernetes mode (without Calico objects) gives speak only of
// TCP, UDP and SCTP, since no Kubernetes policy restricts other protocols
// (a Query of them is Allow): such a set is all when it holds every port
// of the three.
func (c Connections) IsAll() bool { return c.c.IsAll() }

// Equal reports whether c and d hold the same connections.
func (c Connections) Equal(d Connections) bool { return c.c.Equal(d.c) }

// Union returns the connections in c or d.
func (c Connections) Union(d Connections) Connections { return Connections{c.c.Union(d.c)} }

// Intersect returns the connections in both c and d.
func (c Connections) Intersect(d Connections) Connections { return Connections{c.c.Intersect(d.c)} }

// Subtract returns the connections in c and not in d.
func (c Connections) Subtract(d Connections) Connections { return Connections{c.c.Subtract(d.c)} }

// Ranges iterates over the set: the port ranges of TCP, UDP and SCTP by
// protocol then port, then the other protocols by number, each whole (its
// PortRange has First and Last 0).
func (c Connections) Ranges() iter.Seq[PortRange] {
	return func(yield func(PortRange) bool) {
		for _, r := range c.c.Ranges() {
			if !yield(PortRange{Protocol: policy.Protocol(r.Protocol), First: r.Lo, Last: r.Hi}) {
				return
			}
		}
		for _, p := range c.c.Protocols() {
			if !yield(PortRange{Protocol: policy.Protocol(p)}) {
				return
			}
		}
	}
}

// PortRange is an inclusive range of destination ports of one protocol,
// as [Connections.Ranges] gives them. For a protocol without ports First
// and Last are 0 and the range stands for the whole protocol.
type PortRange struct {
	Protocol policy.Protocol `json:"protocol"`
	First    uint16          `json:"first,omitempty"`
	Last     uint16          `json:"last,omitempty"`
}

// String returns "80/TCP", "8000-8100/TCP" or the protocol alone.
func (r PortRange) String() string {
	switch {
	case r.First == 0 && r.Last == 0:
		return r.Protocol.String()
	case r.First == r.Last:
		return strconv.Itoa(int(r.First)) + "/" + r.Protocol.String()
	}
	return strconv.Itoa(int(r.First)) + "-" + strconv.Itoa(int(r.Last)) + "/" + r.Protocol.String()
}

// Selection picks endpoints and external addresses by name, namespace,
// labels or address. Its text forms:
//
//   - "namespace/name": the pod of that name, or the pods of the workload
//     of that name (any kind; "namespace/name[Deployment]" names the
//     kind);
//   - "name": the same in every namespace;
//   - "namespace/*": every endpoint of the namespace;
//   - a pod label selector in kubectl's syntax ("app=web,tier!=db",
//     "env in (prod,staging)", "!canary");
//   - a CIDR or an address ("10.0.0.0/8", "192.0.2.1"): the endpoints
//     with an address inside it, and the external addresses inside it.
//
// The zero Selection is invalid (see IsValid). Selections are immutable.
type Selection struct {
	s ireach.Selection
}

// ParseSelection reads a selection (see [Selection]).
func ParseSelection(s string) (Selection, error) {
	sel, err := ireach.ParseSelection(s)
	if err != nil {
		return Selection{}, publicError(err)
	}
	return Selection{sel}, nil
}

// MustParseSelection is ParseSelection for tests and package variables:
// it panics on an error.
func MustParseSelection(s string) Selection {
	sel, err := ParseSelection(s)
	if err != nil {
		panic(err)
	}
	return sel
}

// String returns the selection as it was given.
func (s Selection) String() string { return s.s.String() }

// IsValid reports whether the selection was parsed.
func (s Selection) IsValid() bool { return s.s.IsValid() }
