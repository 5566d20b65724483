package calicov3

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Port is one entry of an EntityRule's ports or notPorts list: a single
// port, an inclusive range of ports, or a named port. It mirrors Calico's
// numorstring.Port (api/pkg/lib/numorstring/port.go).
//
//   - A named port has PortName set and MinPort = MaxPort = 0.
//   - A single port has MinPort = MaxPort and no name.
//   - A range has MinPort < MaxPort and no name.
//
// In JSON a Port is a number (80) or a string ("80", "8080:8090", "http");
// see [ParsePort]. Decoding accepts port number 0, as Calico's decoder
// does; [Rule.Validate] then rejects it, as Calico's validator does. The
// zero Port is therefore the invalid port 0; [Port.IsValid] reports it.
// Port is a small comparable value.
type Port struct {
	MinPort  uint16
	MaxPort  uint16
	PortName string
}

var (
	portDigits = regexp.MustCompile(`^[0-9]+$`)
	portRange  = regexp.MustCompile(`^([0-9]+):([0-9]+)$`)
	// portNameChars is the syntax Calico's decoder accepts for a named
	// port. Its validator is stricter; see [Rule.Validate].
	portNameChars = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,128}$`)
)

// ParsePort parses the string form of a [Port], with the rules of Calico's
// numorstring.PortFromString:
//
//   - all digits: a single port 0-65535 ("80");
//   - digits:digits: an inclusive range whose start is not after its end
//     ("8080:8090");
//   - otherwise 1-128 characters from [a-zA-Z0-9_.-]: a named port
//     ("http"). Calico's validator later narrows names to IANA service
//     names, so "8080-8090" parses as a name and fails validation.
//
// Errors name the input: `invalid port "80:70": range start is after end`.
func ParsePort(s string) (Port, error) {
	if portDigits.MatchString(s) {
		n, err := strconv.ParseUint(s, 10, 16)
		if err != nil {
			return Port{}, fmt.Errorf("invalid port %q: port number must be between 0 and 65535", s)
		}
		return Port{MinPort: uint16(n), MaxPort: uint16(n)}, nil
	}
	if m := portRange.FindStringSubmatch(s); m != nil {
		lo, err := strconv.ParseUint(m[1], 10, 16)
		if err != nil {
			return Port{}, fmt.Errorf("invalid port %q: range start must be between 0 and 65535", s)
		}
		hi, err := strconv.ParseUint(m[2], 10, 16)
		if err != nil {
			return Port{}, fmt.Errorf("invalid port %q: range end must be between 0 and 65535", s)
		}
		if lo > hi {
			return Port{}, fmt.Errorf("invalid port %q: range start is after end", s)
		}
		return Port{MinPort: uint16(lo), MaxPort: uint16(hi)}, nil
	}
	if !portNameChars.MatchString(s) {
		return Port{}, fmt.Errorf("invalid port %q: want a number, a range such as 8080:8090, or a name of 1-128 characters from [a-zA-Z0-9_.-]", s)
	}
	return Port{PortName: s}, nil
}

// MustParsePort is like [ParsePort] but panics on error. It is meant for
// tests and package-level variables.
func MustParsePort(s string) Port {
	p, err := ParsePort(s)
	if err != nil {
		panic(err)
	}
	return p
}

// IsNamed reports whether p is a named port.
func (p Port) IsNamed() bool { return p.PortName != "" }

// IsValid reports whether p passes Calico's checks of a single port
// (validator.go validatePort and the portName tag): either a name that is
// a valid IANA service name (at most 15 characters from [a-z0-9-] with at
// least one letter, see k8s.io/apimachinery validation.IsValidPortName)
// and no port numbers, or 1 <= MinPort <= MaxPort. Whether the rule's
// protocol allows ports at all is checked by [Rule.Validate].
func (p Port) IsValid() bool {
	if p.PortName != "" {
		return p.MinPort == 0 && p.MaxPort == 0 && len(validation.IsValidPortName(p.PortName)) == 0
	}
	return p.MinPort != 0 && p.MinPort <= p.MaxPort
}

// String returns the name, the single port number, or "min:max". For a
// valid Port, [ParsePort] reads the result back to an equal Port.
func (p Port) String() string {
	switch {
	case p.PortName != "":
		return p.PortName
	case p.MinPort == p.MaxPort:
		return strconv.FormatUint(uint64(p.MinPort), 10)
	default:
		return strconv.FormatUint(uint64(p.MinPort), 10) + ":" + strconv.FormatUint(uint64(p.MaxPort), 10)
	}
}

// MarshalJSON writes a single port as a number and a range or a name as a
// string, as Calico does.
func (p Port) MarshalJSON() ([]byte, error) {
	if p.PortName == "" && p.MinPort == p.MaxPort {
		return strconv.AppendUint(nil, uint64(p.MinPort), 10), nil
	}
	return json.Marshal(p.String())
}

// UnmarshalJSON reads a JSON number 0-65535 or a string in the form
// [ParsePort] accepts. JSON null leaves p unchanged.
func (p *Port) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0:
		return fmt.Errorf("invalid port: empty JSON value")
	case b[0] == 'n' && string(b) == "null":
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("invalid port %s: %v", b, err)
		}
		v, err := ParsePort(s)
		if err != nil {
			return err
		}
		*p = v
		return nil
	case b[0] == '-' || ('0' <= b[0] && b[0] <= '9'):
		n, err := strconv.ParseUint(string(b), 10, 16)
		if err != nil {
			return fmt.Errorf("invalid port %s: want an integer between 0 and 65535", b)
		}
		*p = Port{MinPort: uint16(n), MaxPort: uint16(n)}
		return nil
	default:
		return fmt.Errorf("invalid port %s: want a number or a string", b)
	}
}
