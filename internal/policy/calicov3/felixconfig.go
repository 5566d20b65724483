package calicov3

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// KindFelixConfiguration is the kind of [FelixConfiguration].
const KindFelixConfiguration = "FelixConfiguration"

// FelixConfiguration holds the Felix settings that change host endpoint
// verdicts (Calico felixconfig.go). The object named "default" applies to
// every node, "node.<nodename>" to one node. Felix has many more settings;
// they do not change policy verdicts, so RawSpec keeps the spec as given
// and [FelixConfiguration.Settings] reads the fields that matter.
type FelixConfiguration struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`

	RawSpec map[string]any `json:"spec,omitempty"`
	// Spec is filled from RawSpec by the loader.
	Spec FelixConfigurationSpec `json:"-"`
}

// FelixConfigurationSpec is the part of a FelixConfiguration's spec that
// netreach reads. A nil list means "not set here".
type FelixConfigurationSpec struct {
	// FailsafeInboundHostPorts are the ports (and optional source CIDRs)
	// Felix always lets in to host endpoints, whatever the policy.
	FailsafeInboundHostPorts *[]ProtoPort `json:"failsafeInboundHostPorts,omitempty"`
	// FailsafeOutboundHostPorts are the ports (and optional destination
	// CIDRs) host endpoints can always connect to.
	FailsafeOutboundHostPorts *[]ProtoPort `json:"failsafeOutboundHostPorts,omitempty"`
	// DefaultEndpointToHostAction is what happens to traffic from a
	// workload to its own host after the workload's egress policy: Drop
	// (Felix's default), Accept or Return.
	DefaultEndpointToHostAction string `json:"defaultEndpointToHostAction,omitempty"`
}

// ProtoPort is one failsafe entry: a protocol and port, optionally
// restricted to a CIDR (the remote end).
type ProtoPort struct {
	Protocol string `json:"protocol,omitempty"`
	Port     uint16 `json:"port"`
	Net      string `json:"net,omitempty"`
}

// String returns "tcp:22" or "tcp:10.0.0.0/8:22", the form of the Felix
// environment variables.
func (p ProtoPort) String() string {
	proto := p.Protocol
	if proto == "" {
		proto = "tcp"
	}
	if p.Net != "" {
		return fmt.Sprintf("%s:%s:%d", strings.ToLower(proto), p.Net, p.Port)
	}
	return fmt.Sprintf("%s:%d", strings.ToLower(proto), p.Port)
}

// Validate checks that every failsafe entry has protocol TCP, UDP or SCTP
// (empty means TCP), a port and a valid CIDR, and that the endpoint-to-host
// action is Drop, Accept or Return.
func (fc *FelixConfiguration) Validate() []FieldError {
	var l errs
	for _, list := range []struct {
		path  string
		ports *[]ProtoPort
	}{{"spec.failsafeInboundHostPorts", fc.Spec.FailsafeInboundHostPorts}, {"spec.failsafeOutboundHostPorts", fc.Spec.FailsafeOutboundHostPorts}} {
		if list.ports == nil {
			continue
		}
		for i, p := range *list.ports {
			pp := at(list.path, i)
			switch strings.ToLower(p.Protocol) {
			case "", "tcp", "udp", "sctp":
			default:
				l.addf(join(pp, "protocol"), "invalid protocol %q: must be TCP, UDP or SCTP", p.Protocol)
			}
			if p.Port == 0 {
				l.add(join(pp, "port"), "must be between 1 and 65535")
			}
			if p.Net != "" {
				if _, err := ParseNet(p.Net); err != nil {
					l.addf(join(pp, "net"), "invalid CIDR %q", p.Net)
				}
			}
		}
	}
	switch strings.ToLower(fc.Spec.DefaultEndpointToHostAction) {
	case "", "drop", "accept", "return":
	default:
		l.addf("spec.defaultEndpointToHostAction", "invalid action %q: must be Drop, Accept or Return", fc.Spec.DefaultEndpointToHostAction)
	}
	return l
}

// ParseProtoPorts parses the Felix environment form of a failsafe list:
// comma-separated "proto:port" or "proto:cidr:port" entries ("port" alone
// means TCP); "none" or "" is the empty list.
func ParseProtoPorts(s string) ([]ProtoPort, error) {
	s = strings.TrimSpace(s)
	out := []ProtoPort{}
	if s == "" || strings.EqualFold(s, "none") || s == "[]" {
		return out, nil
	}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		parts := strings.Split(item, ":")
		var p ProtoPort
		var port string
		switch {
		case len(parts) == 1:
			p.Protocol, port = "tcp", parts[0]
		case len(parts) == 2:
			p.Protocol, port = parts[0], parts[1]
		default:
			// The CIDR may be IPv6 and hold colons: protocol first, port last.
			p.Protocol, port = parts[0], parts[len(parts)-1]
			p.Net = strings.Join(parts[1:len(parts)-1], ":")
			p.Net = strings.TrimSuffix(strings.TrimPrefix(p.Net, "["), "]")
		}
		var n uint64
		if _, err := fmt.Sscanf(port, "%d", &n); err != nil || n == 0 || n > 65535 || fmt.Sprint(n) != port {
			return nil, fmt.Errorf("invalid failsafe entry %q: port must be 1-65535", item)
		}
		p.Port = uint16(n)
		switch strings.ToLower(p.Protocol) {
		case "tcp", "udp", "sctp":
			p.Protocol = strings.ToLower(p.Protocol)
		default:
			return nil, fmt.Errorf("invalid failsafe entry %q: protocol must be tcp, udp or sctp", item)
		}
		if p.Net != "" {
			if _, err := ParseNet(p.Net); err != nil {
				return nil, fmt.Errorf("invalid failsafe entry %q: invalid CIDR %q", item, p.Net)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// DefaultFailsafeInbound and DefaultFailsafeOutbound are Felix's defaults
// for FailsafeInboundHostPorts and FailsafeOutboundHostPorts (Calico
// "Configuring Felix" reference and "Failsafe rules").
var (
	DefaultFailsafeInbound = []ProtoPort{
		{"tcp", 22, ""}, {"udp", 68, ""}, {"tcp", 179, ""}, {"tcp", 2379, ""}, {"tcp", 2380, ""},
		{"tcp", 5473, ""}, {"tcp", 6443, ""}, {"tcp", 6666, ""}, {"tcp", 6667, ""},
	}
	DefaultFailsafeOutbound = []ProtoPort{
		{"udp", 53, ""}, {"udp", 67, ""}, {"tcp", 179, ""}, {"tcp", 2379, ""}, {"tcp", 2380, ""},
		{"tcp", 5473, ""}, {"tcp", 6443, ""}, {"tcp", 6666, ""}, {"tcp", 6667, ""},
	}
)
