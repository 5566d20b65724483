package expect

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/netreach/netreach/internal/policy"
)

// ParsePort reads the short form of a port: "80" (TCP), "80/TCP",
// "8000-8080/UDP", a whole protocol ("UDP", "ICMP"), or a container port
// name, alone ("http": any protocol) or with a protocol ("dns/UDP").
// Protocol names are case-insensitive.
func ParsePort(s string) (Port, error) {
	fail := func(format string, args ...any) (Port, error) {
		return Port{}, fmt.Errorf("invalid port %q: %s", s, fmt.Sprintf(format, args...))
	}
	if s == "" {
		return fail("empty")
	}
	num, protoText, hasProto := strings.Cut(s, "/")
	proto := policy.TCP
	if hasProto {
		p, err := policy.ParseProtocol(protoText)
		if err != nil || p == policy.AnyProtocol {
			return fail("unknown protocol %q", protoText)
		}
		proto = p
	} else if p, err := policy.ParseProtocol(s); err == nil && !isDigits(s) {
		// A whole protocol: "UDP", "ICMP".
		return wholeProtocol(p), nil
	}
	if isDigits(num) || strings.Contains(num, "-") && isDigits(strings.ReplaceAll(num, "-", "")) {
		if !proto.HasPorts() {
			return fail("%s has no ports", proto)
		}
		loText, hiText, isRange := strings.Cut(num, "-")
		lo, err := portNumber(loText)
		if err != nil {
			return fail("%v", err)
		}
		hi := lo
		if isRange {
			if hi, err = portNumber(hiText); err != nil {
				return fail("%v", err)
			}
			if hi < lo {
				return fail("range end %d is below its start %d", hi, lo)
			}
		}
		return Port{Protocol: proto, Lo: lo, Hi: hi}, nil
	}
	if err := checkPortName(num); err != nil {
		return fail("%v; expected a number, a range N-M, a protocol or a container port name", err)
	}
	if !hasProto {
		proto = policy.AnyProtocol
	} else if !proto.HasPorts() {
		return fail("%s has no ports", proto)
	}
	return Port{Protocol: proto, Name: num}, nil
}

// wholeProtocol is every port of p.
func wholeProtocol(p policy.Protocol) Port {
	if p.HasPorts() {
		return Port{Protocol: p, Lo: 1, Hi: 65535}
	}
	return Port{Protocol: p}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// portNumber parses a port number 1-65535.
func portNumber(s string) (uint16, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != s {
		return 0, fmt.Errorf("port %q is not a number from 1 to 65535", s)
	}
	return uint16(n), nil
}

// checkPortName validates a container port name as Kubernetes does
// (IANA_SVC_NAME): 1-15 characters of a-z, 0-9 and '-', at least one
// letter, no leading, trailing or double '-'.
func checkPortName(s string) error {
	if len(s) > 15 {
		return fmt.Errorf("port name %q is longer than 15 characters", s)
	}
	letter := false
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z':
			letter = true
		case c >= '0' && c <= '9':
		case c == '-' && i > 0 && i < len(s)-1 && s[i-1] != '-':
		default:
			return fmt.Errorf("%q is not a port name (lowercase letters, digits and inner single '-')", s)
		}
	}
	if !letter {
		return fmt.Errorf("port name %q has no letter", s)
	}
	return nil
}

// interval is a concrete protocol and inclusive port range (0-0 for
// protocols without ports).
type interval struct {
	proto  policy.Protocol
	lo, hi uint16
}

// resolve returns the concrete intervals of ports for destination ep (nil
// for an external address): a named port becomes the ports ep declares
// under that name, and nothing for external addresses. all is what an
// empty list means.
func resolve(ports []Port, ep *policy.Endpoint, all []interval) []interval {
	if len(ports) == 0 {
		return all
	}
	var out []interval
	for _, p := range ports {
		if p.Name == "" {
			out = append(out, interval{p.Protocol, p.Lo, p.Hi})
			continue
		}
		if ep == nil {
			continue
		}
		for _, cp := range ep.Ports {
			if cp.Name == p.Name && (p.Protocol == policy.AnyProtocol || p.Protocol == cp.Protocol) {
				out = append(out, interval{cp.Protocol, cp.Port, cp.Port})
			}
		}
	}
	return out
}

// hasNamed reports whether any port is a named port.
func hasNamed(ports []Port) bool {
	for _, p := range ports {
		if p.Name != "" {
			return true
		}
	}
	return false
}
