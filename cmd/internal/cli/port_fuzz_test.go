package cli

import (
	"fmt"
	"testing"

	"github.com/netreach/netreach/internal/policy"
)

// FuzzParsePortFlag: the --port parser never panics, and what it accepts
// prints back to something it parses to the same value.
func FuzzParsePortFlag(f *testing.F) {
	for _, s := range []string{"80/TCP", "80", "53/UDP", "1/SCTP", "65535/tcp", "ICMP", "icmpv6", "0/TCP", "65536/TCP",
		"80/", "/TCP", "80/ICMP", "http/TCP", "08/TCP", "-1", "80/TCP/x", "47", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		proto, port, err := parsePortFlag(s)
		if err != nil {
			return
		}
		if proto.HasPorts() && (port < 1) {
			t.Fatalf("parsePortFlag(%q) = %v %d: a port protocol with port 0", s, proto, port)
		}
		again := proto.String()
		if proto.HasPorts() {
			again = fmt.Sprintf("%d/%s", port, proto)
		}
		p2, n2, err := parsePortFlag(again)
		if err != nil || p2 != proto || n2 != port {
			t.Fatalf("parsePortFlag(%q) = %v %d, but %q parses to %v %d (%v)", s, proto, port, again, p2, n2, err)
		}
		if proto == policy.AnyProtocol {
			t.Fatalf("parsePortFlag(%q) returned no protocol", s)
		}
	})
}
