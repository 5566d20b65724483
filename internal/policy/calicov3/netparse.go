package calicov3

import (
	"fmt"
	"net/netip"
	"strings"
)

// ParseNet parses an entry of a nets or notNets list, or of a network
// set: a CIDR ("10.0.0.0/8") or a bare address, which means the /32 or
// /128 holding only that address. The result is masked, so "10.1.2.3/8"
// yields 10.0.0.0/8. (Calico's validator goes further for rule nets and
// rejects a CIDR with host bits set; ParseNet does not.)
//
// Errors name the input: `invalid network "10.0.0/8": ...`.
func ParseNet(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("invalid network %q: want a CIDR such as 10.0.0.0/8 or an IP address", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("invalid network %q: want a CIDR such as 10.0.0.0/8 or an IP address", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
