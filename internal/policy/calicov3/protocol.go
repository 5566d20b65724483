package calicov3

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Protocol is the value of a rule's protocol or notProtocol field, or of a
// host endpoint port's protocol: an IP protocol given by name or by number.
// It mirrors Calico's numorstring.Protocol
// (api/pkg/lib/numorstring/protocol.go).
//
// Names are TCP, UDP, ICMP, ICMPv6, SCTP and UDPLite, which stand for 6,
// 17, 1, 58, 132 and 136. [ParseProtocol] matches them without regard to
// case and keeps the spelling it was given, so that [Protocol.String] and
// MarshalJSON reproduce the input. Compare protocols with [Protocol.Number]:
// "tcp", "TCP", 6 and "6" are different values of Protocol with the same
// number.
//
// The zero Protocol is invalid (number 0); [Protocol.IsValid] reports it.
// Protocol is a small comparable value.
type Protocol struct {
	num  uint8
	name string // as written; "" when given as a number
}

// protocolNames lists the names Calico's validator accepts, spelled as it
// requires them (validator.go protocolRegex is case-sensitive).
var protocolNames = [...]struct {
	name string
	num  uint8
}{
	{"TCP", 6},
	{"UDP", 17},
	{"ICMP", 1},
	{"ICMPv6", 58},
	{"SCTP", 132},
	{"UDPLite", 136},
}

// ParseProtocol parses a protocol name (TCP, UDP, ICMP, ICMPv6, SCTP,
// UDPLite, in any case) or a decimal number 1-255. Errors name the input:
// `invalid protocol "0": number must be between 1 and 255`.
//
// Calico's JSON decoder keeps any unknown name and its validator rejects it
// later; ParseProtocol rejects it at once. Calico's validator also insists
// on the exact spelling above, which [Rule.Validate] checks.
func ParseProtocol(s string) (Protocol, error) {
	if s != "" && strings.Trim(s, "0123456789") == "" {
		n, err := strconv.ParseUint(s, 10, 8)
		if err != nil || n == 0 {
			return Protocol{}, fmt.Errorf("invalid protocol %q: number must be between 1 and 255", s)
		}
		return Protocol{num: uint8(n)}, nil
	}
	for _, p := range protocolNames {
		if strings.EqualFold(s, p.name) {
			return Protocol{num: p.num, name: s}, nil
		}
	}
	return Protocol{}, fmt.Errorf("invalid protocol %q: want a number 1-255 or one of TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite", s)
}

// MustParseProtocol is like [ParseProtocol] but panics on error. It is
// meant for tests and package-level variables.
func MustParseProtocol(s string) Protocol {
	p, err := ParseProtocol(s)
	if err != nil {
		panic(err)
	}
	return p
}

// Number returns the IP protocol number: 6 for TCP, 17 for UDP, 1 for
// ICMP, 58 for ICMPv6, 132 for SCTP, 136 for UDPLite, or the number given.
func (p Protocol) Number() uint8 { return p.num }

// IsValid reports whether p holds a protocol, that is, whether it is not
// the zero Protocol.
func (p Protocol) IsValid() bool { return p.num != 0 }

// String returns the name as it was written, or the decimal number.
func (p Protocol) String() string {
	if p.name != "" {
		return p.name
	}
	return strconv.Itoa(int(p.num))
}

// SupportsPorts reports whether the protocol has ports: TCP, UDP or SCTP
// (6, 17, 132), as Calico's SupportsPorts decides. Only such rules may
// list numeric ports.
func (p Protocol) SupportsPorts() bool {
	return p.num == 6 || p.num == 17 || p.num == 132
}

// canonical returns the spelling Calico's validator requires for a named
// protocol, and whether p was given by name at all.
func (p Protocol) canonical() (string, bool) {
	if p.name == "" {
		return "", false
	}
	for _, n := range protocolNames {
		if n.num == p.num {
			return n.name, true
		}
	}
	return "", true
}

// MarshalJSON writes a name as a string and a number as a number.
func (p Protocol) MarshalJSON() ([]byte, error) {
	if p.name != "" {
		return json.Marshal(p.name)
	}
	return strconv.AppendUint(nil, uint64(p.num), 10), nil
}

// UnmarshalJSON reads a JSON number 1-255 or a string in the form
// [ParseProtocol] accepts. JSON null leaves p unchanged.
func (p *Protocol) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0:
		return fmt.Errorf("invalid protocol: empty JSON value")
	case b[0] == 'n' && string(b) == "null":
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("invalid protocol %s: %v", b, err)
		}
		v, err := ParseProtocol(s)
		if err != nil {
			return err
		}
		*p = v
		return nil
	case b[0] == '-' || ('0' <= b[0] && b[0] <= '9'):
		n, err := strconv.ParseUint(string(b), 10, 8)
		if err != nil || n == 0 {
			return fmt.Errorf("invalid protocol %s: want an integer between 1 and 255", b)
		}
		*p = Protocol{num: uint8(n)}
		return nil
	default:
		return fmt.Errorf("invalid protocol %s: want a number or a string", b)
	}
}
