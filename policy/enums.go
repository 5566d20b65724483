package policy

import (
	"strconv"
	"strings"

	"github.com/netreach/netreach/internal/enumtext"
	ipolicy "github.com/netreach/netreach/internal/policy"
)

// Severity says how serious a [Diagnostic] is. It is the only severity
// type of the public API.
type Severity uint8

// Severities, least serious first.
const (
	// Info marks a note that changes nothing, such as a completed pod
	// left out of the endpoints.
	Info Severity = iota
	// Warning marks input that was accepted but may not mean what its
	// author intended: an unknown field the API server would drop,
	// a namespace referenced but not declared, an approximated feature.
	Warning
	// Error marks invalid input: the API server would reject the object.
	// The offending rule or object is left out of the evaluation.
	Error
)

// String returns "info", "warning" or "error".
func (s Severity) String() string { return ipolicy.Severity(s).String() }

// MarshalText returns the String form.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (s *Severity) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(s, b, Info, Warning, Error)
}

// Direction is the direction of a policy rule: ingress or egress.
type Direction uint8

// The two directions.
const (
	Ingress Direction = iota
	Egress
)

// String returns "ingress" or "egress".
func (d Direction) String() string { return ipolicy.Direction(d).String() }

// MarshalText returns the String form.
func (d Direction) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (d *Direction) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(d, b, Ingress, Egress)
}

// Protocol is an IP protocol number. The zero Protocol stands for "any
// protocol" and prints as "any".
type Protocol uint8

// The protocols netreach names; others are numbers (Protocol(47) is GRE).
const (
	ICMP    Protocol = 1
	TCP     Protocol = 6
	UDP     Protocol = 17
	ICMPv6  Protocol = 58
	SCTP    Protocol = 132
	UDPLite Protocol = 136
)

// ParseProtocol reads a protocol as the CLI and Calico write it: a name
// (TCP, UDP, SCTP, ICMP, ICMPv6, UDPLite), case-insensitive, or a number
// 1-255.
func ParseProtocol(s string) (Protocol, error) {
	p, err := ipolicy.ParseProtocol(s)
	return Protocol(p), err
}

// String returns the protocol's name ("TCP", "ICMPv6"), its number for
// protocols without a name, or "any" for the zero Protocol.
func (p Protocol) String() string { return ipolicy.Protocol(p).String() }

// MarshalText returns the String form.
func (p Protocol) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads what MarshalText writes (and whatever ParseProtocol
// reads).
func (p *Protocol) UnmarshalText(b []byte) error {
	if strings.EqualFold(string(b), "any") {
		*p = 0
		return nil
	}
	v, err := ParseProtocol(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// KyvernoMode says what loading does with Kyverno ClusterPolicies and
// Policies, as the CLI's --kyverno flag does.
type KyvernoMode uint8

// Kyverno modes; the zero value simulates.
const (
	// KyvernoSimulate applies the policies' mutate and generate rules to
	// the input as if every object were created with the policies
	// installed.
	KyvernoSimulate KyvernoMode = iota
	// KyvernoOff leaves Kyverno policies out, with a warning.
	KyvernoOff
)

// String returns "simulate" or "off", the values of the --kyverno flag.
func (m KyvernoMode) String() string {
	if m > KyvernoOff {
		return "KyvernoMode(" + strconv.Itoa(int(m)) + ")"
	}
	return ipolicy.KyvernoMode(m).String()
}

// MarshalText returns the String form.
func (m KyvernoMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (m *KyvernoMode) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(m, b, KyvernoSimulate, KyvernoOff)
}
