package calicov3_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/netreach/netreach/internal/policy/calicov3"
)

var portCorpus = []string{
	"80", "0", "080", "65535", "65536", "99999999999999999999",
	"8080:8090", "8080:8080", "0:65535", "80:70", "1:70000", "80:", ":80", "1:2:3",
	"http", "metrics_v1.2-x", "8080-8090", "HTTP", "", " ", " 80", "-1", "+80",
	strings.Repeat("a", 128), strings.Repeat("a", 129), "٣", "http\x00",
	// raw JSON tokens, for UnmarshalJSON on the input itself
	`80`, `"80"`, `80.5`, `-1`, `null`, `true`, `[80]`, `"\u0038\u0030"`, `"8080:8090"`,
}

// FuzzPort checks that ParsePort and Port.UnmarshalJSON never panic, that
// errors quote the input, and that String and MarshalJSON round-trip.
func FuzzPort(f *testing.F) {
	for _, s := range portCorpus {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Arbitrary bytes as a JSON token: must not panic; if accepted,
		// must marshal back to something that decodes to the same Port.
		var raw calicov3.Port
		if err := raw.UnmarshalJSON([]byte(s)); err == nil {
			checkPortJSON(t, raw)
		}

		p, err := calicov3.ParsePort(s)
		if err != nil {
			if !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("ParsePort(%q) error %q does not quote the input", s, err)
			}
			return
		}
		if p.IsNamed() != (p.PortName != "") || (p.IsNamed() && (p.MinPort != 0 || p.MaxPort != 0)) || p.MinPort > p.MaxPort {
			t.Fatalf("ParsePort(%q) = %+v, an inconsistent Port", s, p)
		}
		q, err := calicov3.ParsePort(p.String())
		if err != nil || q != p {
			t.Fatalf("ParsePort(%q) = %+v; ParsePort(String() = %q) = %+v, %v", s, p, p.String(), q, err)
		}
		// The JSON string form decodes like ParsePort.
		js, _ := json.Marshal(s)
		var viaJSON calicov3.Port
		if err := json.Unmarshal(js, &viaJSON); err != nil || viaJSON != p {
			t.Fatalf("Unmarshal(%s) = %+v, %v, want %+v", js, viaJSON, err, p)
		}
		checkPortJSON(t, p)
	})
}

func checkPortJSON(t *testing.T, p calicov3.Port) {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("Marshal(%+v): %v", p, err)
	}
	var back calicov3.Port
	if err := json.Unmarshal(b, &back); err != nil || back != p {
		t.Fatalf("Marshal(%+v) = %s; Unmarshal = %+v, %v", p, b, back, err)
	}
}

var protocolCorpus = []string{
	"TCP", "tcp", "Udp", "ICMP", "icmpv6", "ICMPv6", "sctp", "UDPLite", "udplite",
	"1", "6", "06", "255", "256", "0", "00", "", " ", "any", "GRE", "TCP ", "٦", "-6", "+6",
	`6`, `"TCP"`, `0`, `6.0`, `null`, `{}`, `"\u0054CP"`,
}

// FuzzProtocol checks that ParseProtocol and Protocol.UnmarshalJSON never
// panic, that errors quote the input, and that String and MarshalJSON
// round-trip to an equal Protocol.
func FuzzProtocol(f *testing.F) {
	for _, s := range protocolCorpus {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var raw calicov3.Protocol
		if err := raw.UnmarshalJSON([]byte(s)); err == nil && raw.IsValid() {
			checkProtocolJSON(t, raw)
		}

		p, err := calicov3.ParseProtocol(s)
		if err != nil {
			if !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("ParseProtocol(%q) error %q does not quote the input", s, err)
			}
			return
		}
		if !p.IsValid() || p.Number() == 0 {
			t.Fatalf("ParseProtocol(%q) = %v, which is not valid", s, p)
		}
		n := p.Number()
		if p.SupportsPorts() != (n == 6 || n == 17 || n == 132) {
			t.Fatalf("ParseProtocol(%q).SupportsPorts() = %v for number %d", s, p.SupportsPorts(), n)
		}
		q, err := calicov3.ParseProtocol(p.String())
		if err != nil || q != p {
			t.Fatalf("ParseProtocol(%q) = %v; ParseProtocol(String() = %q) = %v, %v", s, p, p.String(), q, err)
		}
		js, _ := json.Marshal(s)
		var viaJSON calicov3.Protocol
		if err := json.Unmarshal(js, &viaJSON); err != nil || viaJSON != p {
			t.Fatalf("Unmarshal(%s) = %v, %v, want %v", js, viaJSON, err, p)
		}
		checkProtocolJSON(t, p)
	})
}

func checkProtocolJSON(t *testing.T, p calicov3.Protocol) {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("Marshal(%v): %v", p, err)
	}
	var back calicov3.Protocol
	if err := json.Unmarshal(b, &back); err != nil || back != p {
		t.Fatalf("Marshal(%v) = %s; Unmarshal = %v, %v", p, b, back, err)
	}
}
