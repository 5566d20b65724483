package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// Protocol is an IP protocol number. [AnyProtocol] (0) stands for "any
// protocol" where a rule does not restrict it.
type Protocol uint8

// Protocols netreach names. Others are kept as numbers.
const (
	AnyProtocol Protocol = 0
	ICMP        Protocol = 1
	TCP         Protocol = 6
	UDP         Protocol = 17
	ICMPv6      Protocol = 58
	SCTP        Protocol = 132
	UDPLite     Protocol = 136
)

// String returns the protocol's conventional name ("TCP", "ICMPv6") or its
// number; "any" for [AnyProtocol].
func (p Protocol) String() string {
	switch p {
	case AnyProtocol:
		return "any"
	case ICMP:
		return "ICMP"
	case TCP:
		return "TCP"
	case UDP:
		return "UDP"
	case ICMPv6:
		return "ICMPv6"
	case SCTP:
		return "SCTP"
	case UDPLite:
		return "UDPLite"
	}
	return strconv.Itoa(int(p))
}

// HasPorts reports whether the protocol carries port numbers (TCP, UDP,
// SCTP; UDPLite too, but neither Kubernetes nor Calico allow ports on it).
func (p Protocol) HasPorts() bool { return p == TCP || p == UDP || p == SCTP }

// ParseKubeProtocol parses a Kubernetes protocol name. Kubernetes accepts
// exactly "TCP", "UDP" and "SCTP", case-sensitively.
func ParseKubeProtocol(s string) (Protocol, error) {
	switch s {
	case "TCP":
		return TCP, nil
	case "UDP":
		return UDP, nil
	case "SCTP":
		return SCTP, nil
	}
	return 0, fmt.Errorf("unsupported protocol %q: expected TCP, UDP or SCTP", s)
}

// ParseProtocol parses a protocol as the CLI and Calico accept it: a name
// (TCP, UDP, SCTP, ICMP, ICMPv6, UDPLite), case-insensitive, or a number
// 1–255.
func ParseProtocol(s string) (Protocol, error) {
	switch strings.ToLower(s) {
	case "tcp":
		return TCP, nil
	case "udp":
		return UDP, nil
	case "sctp":
		return SCTP, nil
	case "icmp":
		return ICMP, nil
	case "icmpv6":
		return ICMPv6, nil
	case "udplite":
		return UDPLite, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 255 || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("invalid protocol %q: expected TCP, UDP, SCTP, ICMP, ICMPv6, UDPLite or a number 1-255", s)
	}
	return Protocol(n), nil
}
