package policy

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netreach/netreach/internal/policy/calicov3"
)

const hostEndpointsYAML = `
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: b-eth0, labels: {role: worker}}
spec: {node: n1, interfaceName: eth0, expectedIPs: ["192.168.0.11"], profiles: [projectcalico-default-allow]}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: a-eth0}
spec: {node: n1, interfaceName: eth0, expectedIPs: ["192.168.0.99"]}
---
apiVersion: crd.projectcalico.org/v1
kind: HostEndpoint
metadata: {name: n2-by-ip}
spec: {node: n2, expectedIPs: ["10.0.0.2"], profiles: [custom]}
---
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata: {name: default}
spec:
  logSeverityScreen: Info
  failsafeInboundHostPorts: [{protocol: TCP, port: 22}]
  defaultEndpointToHostAction: Accept
---
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata: {name: node.n2}
spec:
  failsafeInboundHostPorts: [{protocol: UDP, port: 53, net: 10.0.0.0/8}]
`

// TestWithHostEndpoints checks the endpoints host endpoints become: names,
// addresses, the first by name winning a shared interface, warnings.
func TestWithHostEndpoints(t *testing.T) {
	s := loadYAML(t, hostEndpointsYAML)
	if !slices.ContainsFunc(diagLines(s.Diagnostics), func(l string) bool { return strings.Contains(l, `profile "custom" is not modelled`) }) {
		t.Errorf("no warning for the unknown profile:\n%s", strings.Join(diagLines(s.Diagnostics), "\n"))
	}
	hs, diags := s.WithHostEndpoints(HostOptions{})
	var ids []string
	for _, e := range hs.Endpoints {
		ids = append(ids, e.ID())
		if e.Host == nil {
			t.Errorf("%s: not a host endpoint", e.ID())
		}
	}
	if want := []string{"host:n1/eth0", "host:n2/10.0.0.2"}; !slices.Equal(ids, want) {
		t.Errorf("endpoints %v, want %v", ids, want)
	}
	if e := hs.Endpoints[0]; e.Host.Name != "a-eth0" || e.IPs[0] != netip.MustParseAddr("192.168.0.99") {
		t.Errorf("host:n1/eth0 is %s at %v, want a-eth0 (first by name) at 192.168.0.99", e.Host.Name, e.IPs)
	}
	if len(diags) != 1 || !strings.Contains(diags[0].Msg, "also claims interface") {
		t.Errorf("diagnostics %v, want one about b-eth0 claiming eth0 too", diags)
	}
	if hs.Endpoints[0] != s.Calico.HostEndpoints[0].Endpoint() {
		t.Error("the endpoint of a host endpoint is not the same on every call")
	}
	if len(s.Endpoints) != 0 {
		t.Error("WithHostEndpoints changed the input snapshot")
	}
}

// TestHostSettings checks Felix's precedence: options, node.<name>,
// default, built-in defaults.
func TestHostSettings(t *testing.T) {
	s := loadYAML(t, hostEndpointsYAML)
	hs, _ := s.WithHostEndpoints(HostOptions{})
	n1, n2 := hs.HostSettings("n1"), hs.HostSettings("n2")
	if diff := cmp.Diff([]FailsafePort{{Protocol: TCP, Port: 22}}, n1.FailsafeInbound, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("n1 inbound (-want +got):\n%s", diff)
	}
	if want := []FailsafePort{{Protocol: UDP, Port: 53, Net: netip.MustParsePrefix("10.0.0.0/8")}}; !slices.Equal(n2.FailsafeInbound, want) {
		t.Errorf("n2 inbound %v, want %v (node.n2 overrides default)", n2.FailsafeInbound, want)
	}
	if len(n1.FailsafeOutbound) != len(calicov3.DefaultFailsafeOutbound) || n1.FailsafeOutbound[0] != (FailsafePort{Protocol: UDP, Port: 53}) {
		t.Errorf("n1 outbound %v, want Felix's defaults", n1.FailsafeOutbound)
	}
	if n1.EndpointToHost != EndpointToHostAccept || n2.EndpointToHost != EndpointToHostAccept {
		t.Errorf("endpoint-to-host %v, %v: want Accept from the default FelixConfiguration", n1.EndpointToHost, n2.EndpointToHost)
	}
	none := []calicov3.ProtoPort{}
	drop := EndpointToHostDrop
	hs, _ = s.WithHostEndpoints(HostOptions{FailsafeInbound: &none, EndpointToHost: &drop})
	if n2 := hs.HostSettings("n2"); len(n2.FailsafeInbound) != 0 || n2.EndpointToHost != EndpointToHostDrop {
		t.Errorf("options do not override: %+v", n2)
	}
}

func TestParseProtoPorts(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []calicov3.ProtoPort
		err  bool
	}{
		{"none", []calicov3.ProtoPort{}, false},
		{"22", []calicov3.ProtoPort{{Protocol: "tcp", Port: 22}}, false},
		{"udp:53,tcp:10.0.0.0/8:6443", []calicov3.ProtoPort{{Protocol: "udp", Port: 53}, {Protocol: "tcp", Port: 6443, Net: "10.0.0.0/8"}}, false},
		{"tcp:[fd00::/64]:22", []calicov3.ProtoPort{{Protocol: "tcp", Port: 22, Net: "fd00::/64"}}, false},
		{"icmp:1", nil, true},
		{"tcp:0", nil, true},
		{"tcp:10.0.0.0/33:22", nil, true},
	} {
		got, err := calicov3.ParseProtoPorts(tc.in)
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
			t.Errorf("ParseProtoPorts(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}
