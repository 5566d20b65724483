package reachability

import (
	"math/rand/v2"
	"testing"

	"github.com/netreach/netreach/internal/policy"
)

func TestConnectionsString(t *testing.T) {
	t.Parallel()
	k := NoConnections(ScopeKubernetes)
	a := NoConnections(ScopeAllProtocols)
	tests := []struct {
		name string
		c    Connections
		want string
	}{
		{"empty", k, "No Connections"},
		{"all kube", AllConnections(ScopeKubernetes), "All Connections"},
		{"all protocols", AllConnections(ScopeAllProtocols), "All Connections"},
		{"kube ports of all protocols are not all in calico scope", AllConnections(ScopeKubernetes).Union(a), "TCP 1-65535; UDP 1-65535; SCTP 1-65535"},
		{"merged ranges in order", k.WithPorts(policy.TCP, 8000, 8050).WithPorts(policy.TCP, 443, 443).WithPorts(policy.TCP, 80, 80).WithPorts(policy.TCP, 8051, 8100), "TCP 80,443,8000-8100"},
		{"protocol order", k.WithPorts(policy.UDP, 53, 53).WithPorts(policy.SCTP, 9, 9).WithPorts(policy.TCP, 80, 81), "TCP 80-81; UDP 53; SCTP 9"},
		{"portless", k.WithPorts(policy.TCP, 80, 80).WithProtocol(policy.ICMP).WithProtocol(47), "TCP 80; ICMP; 47"},
		{"other protocols", a.Union(AllConnections(ScopeAllProtocols).Subtract(AllConnections(ScopeKubernetes))), "other protocols"},
		{"other protocols except", AllConnections(ScopeAllProtocols).Subtract(AllConnections(ScopeKubernetes)).Subtract(a.WithProtocol(policy.ICMP).WithProtocol(47)).WithPorts(policy.UDP, 53, 53), "UDP 53; other protocols except ICMP,47"},
		{"all but one port", AllConnections(ScopeKubernetes).Subtract(k.WithPorts(policy.UDP, 53, 53)), "TCP 1-65535; UDP 1-52,54-65535; SCTP 1-65535"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			back, err := ParseConnections(tc.c.String(), tc.c.Scope())
			if err != nil {
				t.Fatalf("ParseConnections(%q): %v", tc.c.String(), err)
			}
			if !back.Equal(tc.c) {
				t.Errorf("ParseConnections(%q) = %q, want the set back", tc.c.String(), back)
			}
		})
	}
}

func TestParseConnectionsErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "TCP 0", "TCP 90-80", "TCP 70000", "XTP 80", "ICMP 8", "other protocols but ICMP", "other protocols except TCP", "TCP 80,"} {
		if c, err := ParseConnections(in, ScopeAllProtocols); err == nil {
			t.Errorf("ParseConnections(%q) = %q, want an error", in, c)
		}
	}
	c, err := ParseConnections(" tcp 443,80 ; udp 53 ", ScopeKubernetes)
	if err != nil || c.String() != "TCP 80,443; UDP 53" {
		t.Errorf("ParseConnections = %q, %v; want TCP 80,443; UDP 53", c, err)
	}
}

// naiveSet is the obvious model of a connection set over a small
// universe: the protocols and ports below, one bool each.
type naiveSet map[[2]int]bool

var (
	testProtocols = []policy.Protocol{policy.TCP, policy.UDP, policy.SCTP, policy.ICMP, 47}
	testPorts     = []uint16{1, 2, 3, 4, 5, 6, 7, 8, 80, 81, 65534, 65535}
)

func randomConnections(r *rand.Rand) Connections {
	c := NoConnections(ScopeAllProtocols)
	for range r.IntN(5) {
		p := testProtocols[r.IntN(len(testProtocols))]
		if !p.HasPorts() {
			c = c.WithProtocol(p)
			continue
		}
		lo := testPorts[r.IntN(len(testPorts))]
		hi := testPorts[r.IntN(len(testPorts))]
		if lo > hi {
			lo, hi = hi, lo
		}
		c = c.WithPorts(p, lo, hi)
	}
	return c
}

func model(c Connections) naiveSet {
	m := naiveSet{}
	for _, p := range testProtocols {
		for _, port := range testPorts {
			if c.Contains(p, port) {
				m[[2]int{int(p), int(port)}] = true
			}
		}
	}
	return m
}

func TestConnectionsAlgebra(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		a, b := randomConnections(r), randomConnections(r)
		ma, mb := model(a), model(b)
		check := func(op string, got Connections, want func(x, y bool) bool) {
			t.Helper()
			for _, p := range testProtocols {
				for _, port := range testPorts {
					k := [2]int{int(p), int(port)}
					if got.Contains(p, port) != want(ma[k], mb[k]) {
						t.Fatalf("(%q %s %q).Contains(%v, %d) = %v", a, op, b, p, port, got.Contains(p, port))
					}
				}
			}
			back, err := ParseConnections(got.String(), got.Scope())
			if err != nil || !back.Equal(got) {
				t.Fatalf("ParseConnections(%q) = %q, %v", got, back, err)
			}
		}
		check("∪", a.Union(b), func(x, y bool) bool { return x || y })
		check("∩", a.Intersect(b), func(x, y bool) bool { return x && y })
		check("∖", a.Subtract(b), func(x, y bool) bool { return x && !y })
		if a.Union(b).Subtract(b).Equal(a.Subtract(b)) != true {
			t.Fatalf("(%q ∪ %q) ∖ %q != %q ∖ %q", a, b, b, a, b)
		}
	}
}
