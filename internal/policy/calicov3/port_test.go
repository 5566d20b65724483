package calicov3_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/netreach/netreach/internal/policy/calicov3"
)

func TestPortUnmarshalJSON(t *testing.T) {
	t.Parallel()
	p := func(lo, hi uint16) calicov3.Port { return calicov3.Port{MinPort: lo, MaxPort: hi} }
	named := func(n string) calicov3.Port { return calicov3.Port{PortName: n} }
	tests := []struct {
		in      string // JSON
		want    calicov3.Port
		wantErr string
	}{
		{in: `80`, want: p(80, 80)},
		{in: `"80"`, want: p(80, 80)},
		{in: `"080"`, want: p(80, 80)},
		{in: `0`, want: p(0, 0)}, // decodes; Rule.Validate rejects it
		{in: `65535`, want: p(65535, 65535)},
		{in: `"8080:8090"`, want: p(8080, 8090)},
		{in: `"8080:8080"`, want: p(8080, 8080)},
		{in: `"0:65535"`, want: p(0, 65535)},
		{in: `"http"`, want: named("http")},
		{in: `"metrics_v1.2-x"`, want: named("metrics_v1.2-x")},
		{in: `"8080-8090"`, want: named("8080-8090")}, // a name, as in Calico; validation rejects it
		{in: `"` + strings.Repeat("a", 128) + `"`, want: named(strings.Repeat("a", 128))},
		{in: `null`, want: p(0, 0)},

		{in: `65536`, wantErr: `invalid port 65536: want an integer between 0 and 65535`},
		{in: `-1`, wantErr: `invalid port -1: want an integer between 0 and 65535`},
		{in: `80.5`, wantErr: `invalid port 80.5: want an integer between 0 and 65535`},
		{in: `8e1`, wantErr: `invalid port 8e1: want an integer between 0 and 65535`},
		{in: `"65536"`, wantErr: `invalid port "65536": port number must be between 0 and 65535`},
		{in: `"80:70"`, wantErr: `invalid port "80:70": range start is after end`},
		{in: `"70000:80000"`, wantErr: `invalid port "70000:80000": range start must be between 0 and 65535`},
		{in: `"1:70000"`, wantErr: `invalid port "1:70000": range end must be between 0 and 65535`},
		{in: `"80:"`, wantErr: `invalid port "80:": want a number, a range such as 8080:8090, or a name of 1-128 characters from [a-zA-Z0-9_.-]`},
		{in: `"1:2:3"`, wantErr: `invalid port "1:2:3": want a number, a range such as 8080:8090, or a name of 1-128 characters from [a-zA-Z0-9_.-]`},
		{in: `" 80"`, wantErr: `invalid port " 80": want a number, a range such as 8080:8090, or a name of 1-128 characters from [a-zA-Z0-9_.-]`},
		{in: `""`, wantErr: `invalid port "": want a number, a range such as 8080:8090, or a name of 1-128 characters from [a-zA-Z0-9_.-]`},
		{in: `"web server"`, wantErr: `invalid port "web server": want a number, a range such as 8080:8090, or a name of 1-128 characters from [a-zA-Z0-9_.-]`},
		{in: `"` + strings.Repeat("a", 129) + `"`, wantErr: `invalid port "` + strings.Repeat("a", 129) + `": want a number, a range such as 8080:8090, or a name of 1-128 characters from [a-zA-Z0-9_.-]`},
		{in: `true`, wantErr: `invalid port true: want a number or a string`},
		{in: `[80]`, wantErr: `invalid port [80]: want a number or a string`},
	}
	for _, tc := range tests {
		var got calicov3.Port
		err := json.Unmarshal([]byte(tc.in), &got)
		switch {
		case tc.wantErr != "":
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("Unmarshal(%s) error = %v, want %s", tc.in, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("Unmarshal(%s) error = %v, want %+v", tc.in, err, tc.want)
		case got != tc.want:
			t.Errorf("Unmarshal(%s) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestPortMarshalJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   calicov3.Port
		want string
	}{
		{calicov3.Port{MinPort: 80, MaxPort: 80}, `80`},
		{calicov3.Port{MinPort: 8080, MaxPort: 8090}, `"8080:8090"`},
		{calicov3.Port{PortName: "http"}, `"http"`},
		{calicov3.Port{}, `0`},
	}
	for _, tc := range tests {
		got, err := json.Marshal(tc.in)
		if err != nil || string(got) != tc.want {
			t.Errorf("Marshal(%+v) = %s, %v, want %s", tc.in, got, err, tc.want)
		}
	}
}

func TestProtocolUnmarshalJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string // JSON
		wantNum  uint8
		wantStr  string
		wantErr  string
		hasPorts bool
	}{
		{in: `"TCP"`, wantNum: 6, wantStr: "TCP", hasPorts: true},
		{in: `"tcp"`, wantNum: 6, wantStr: "tcp", hasPorts: true},
		{in: `"UDP"`, wantNum: 17, wantStr: "UDP", hasPorts: true},
		{in: `"ICMP"`, wantNum: 1, wantStr: "ICMP"},
		{in: `"icmpv6"`, wantNum: 58, wantStr: "icmpv6"},
		{in: `"ICMPv6"`, wantNum: 58, wantStr: "ICMPv6"},
		{in: `"SCTP"`, wantNum: 132, wantStr: "SCTP", hasPorts: true},
		{in: `"UDPLite"`, wantNum: 136, wantStr: "UDPLite"},
		{in: `6`, wantNum: 6, wantStr: "6", hasPorts: true},
		{in: `"17"`, wantNum: 17, wantStr: "17", hasPorts: true},
		{in: `"0132"`, wantNum: 132, wantStr: "132", hasPorts: true},
		{in: `1`, wantNum: 1, wantStr: "1"},
		{in: `255`, wantNum: 255, wantStr: "255"},
		{in: `"47"`, wantNum: 47, wantStr: "47"},

		{in: `0`, wantErr: `invalid protocol 0: want an integer between 1 and 255`},
		{in: `256`, wantErr: `invalid protocol 256: want an integer between 1 and 255`},
		{in: `-6`, wantErr: `invalid protocol -6: want an integer between 1 and 255`},
		{in: `6.0`, wantErr: `invalid protocol 6.0: want an integer between 1 and 255`},
		{in: `"0"`, wantErr: `invalid protocol "0": number must be between 1 and 255`},
		{in: `"256"`, wantErr: `invalid protocol "256": number must be between 1 and 255`},
		{in: `"any"`, wantErr: `invalid protocol "any": want a number 1-255 or one of TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite`},
		{in: `"GRE"`, wantErr: `invalid protocol "GRE": want a number 1-255 or one of TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite`},
		{in: `" TCP"`, wantErr: `invalid protocol " TCP": want a number 1-255 or one of TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite`},
		{in: `""`, wantErr: `invalid protocol "": want a number 1-255 or one of TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite`},
		{in: `true`, wantErr: `invalid protocol true: want a number or a string`},
		{in: `{"type":1}`, wantErr: `invalid protocol {"type":1}: want a number or a string`},
	}
	for _, tc := range tests {
		var got calicov3.Protocol
		err := json.Unmarshal([]byte(tc.in), &got)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("Unmarshal(%s) error = %v, want %s", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Unmarshal(%s) error = %v", tc.in, err)
			continue
		}
		if got.Number() != tc.wantNum || got.String() != tc.wantStr || got.SupportsPorts() != tc.hasPorts || !got.IsValid() {
			t.Errorf("Unmarshal(%s) = (Number %d, String %q, SupportsPorts %v, IsValid %v), want (%d, %q, %v, true)",
				tc.in, got.Number(), got.String(), got.SupportsPorts(), got.IsValid(), tc.wantNum, tc.wantStr, tc.hasPorts)
		}
	}
}

func TestProtocolMarshalJSON(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"TCP": `"TCP"`, "icmpv6": `"icmpv6"`, "6": `6`, "047": `47`} {
		got, err := json.Marshal(calicov3.MustParseProtocol(in))
		if err != nil || string(got) != want {
			t.Errorf("Marshal(MustParseProtocol(%q)) = %s, %v, want %s", in, got, err, want)
		}
	}
}

func TestProtocolZero(t *testing.T) {
	t.Parallel()
	var p calicov3.Protocol
	if p.IsValid() || p.Number() != 0 || p.SupportsPorts() || p.String() != "0" {
		t.Errorf("zero Protocol = (IsValid %v, Number %d, SupportsPorts %v, String %q), want (false, 0, false, \"0\")",
			p.IsValid(), p.Number(), p.SupportsPorts(), p.String())
	}
}

func TestPortIsValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   calicov3.Port
		want bool
	}{
		{calicov3.MustParsePort("80"), true},
		{calicov3.MustParsePort("1:65535"), true},
		{calicov3.MustParsePort("http"), true},
		{calicov3.MustParsePort("web-8080"), true},
		{calicov3.Port{}, false},
		{calicov3.MustParsePort("0:80"), false},
		{calicov3.Port{MinPort: 90, MaxPort: 80}, false},
		{calicov3.MustParsePort("8080-8090"), false},
		{calicov3.MustParsePort("HTTP"), false},
		{calicov3.MustParsePort("my_port"), false},
		{calicov3.Port{MinPort: 80, MaxPort: 80, PortName: "http"}, false},
	}
	for _, tc := range tests {
		if got := tc.in.IsValid(); got != tc.want {
			t.Errorf("%+v.IsValid() = %v, want %v", tc.in, got, tc.want)
		}
	}
}
