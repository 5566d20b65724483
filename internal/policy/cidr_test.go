package policy

import (
	"net/netip"
	"testing"
)

func TestParseCIDR(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		want   string // "" when an error is expected
		masked bool
	}{
		{"10.0.0.0/8", "10.0.0.0/8", false},
		{"10.1.2.3/8", "10.0.0.0/8", true},
		{"010.001.0.0/16", "10.1.0.0/16", false},
		{"0.0.0.0/0", "0.0.0.0/0", false},
		{"192.168.1.1/32", "192.168.1.1/32", false},
		{"fd00::/8", "fd00::/8", false},
		{"fd00::1/8", "fd00::/8", true},
		{"::ffff:10.0.0.0/104", "10.0.0.0/8", false},
		{"::ffff:10.1.2.3/104", "10.0.0.0/8", true},
		{"::ffff:0:0/96", "0.0.0.0/0", false},
		{"::ffff:0:0/95", "::fffe:0:0/95", true},
		{"10.0.0.0/33", "", false},
		{"10.0.0.0", "", false},
		{"10.0.0/8", "", false},
		{"fe80::1%eth0/64", "", false},
		{"", "", false},
		{" 10.0.0.0/8", "", false},
	}
	for _, tc := range tests {
		p, masked, err := ParseCIDR(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseCIDR(%q) = %v, want an error", tc.in, p)
			}
			continue
		}
		if err != nil || p != netip.MustParsePrefix(tc.want) || masked != tc.masked {
			t.Errorf("ParseCIDR(%q) = %v, %v, %v, want %s, %v, nil", tc.in, p, masked, err, tc.want, tc.masked)
		}
	}
}

func TestParseIPOrCIDR(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"10.0.0.1", "10.0.0.1/32"},
		{"::ffff:10.0.0.1", "10.0.0.1/32"},
		{"fd00::1", "fd00::1/128"},
		{"10.0.0.0/24", "10.0.0.0/24"},
		{"10.0.0.1/24", "10.0.0.0/24"},
		{"nope", ""},
		{"fe80::1%eth0", ""},
	}
	for _, tc := range tests {
		p, _, err := ParseIPOrCIDR(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseIPOrCIDR(%q) = %v, want an error", tc.in, p)
			}
			continue
		}
		if err != nil || p != netip.MustParsePrefix(tc.want) {
			t.Errorf("ParseIPOrCIDR(%q) = %v, %v, want %s", tc.in, p, err, tc.want)
		}
	}
}
