package policy

import (
	"fmt"
	"net/netip"
	"strings"
)

// ParseCIDR parses a CIDR the way the Kubernetes API server accepts it:
// IPv4 octets with leading zeros are read as decimal ("010.0.0.0/8" is
// 10.0.0.0/8) and host bits may be set ("10.0.0.1/8"). The result is
// masked to its prefix; masked reports whether host bits were dropped, so
// callers can warn. IPv4-mapped IPv6 prefixes are turned into IPv4.
func ParseCIDR(s string) (p netip.Prefix, masked bool, err error) {
	p, err = netip.ParsePrefix(s)
	if err != nil {
		p, err = netip.ParsePrefix(stripLeadingZeros(s))
		if err != nil {
			return netip.Prefix{}, false, fmt.Errorf("invalid CIDR %s: expected an address and a prefix length such as 10.0.0.0/16 or fd00::/64", quote(s))
		}
	}
	addr := p.Addr()
	bits := p.Bits()
	if addr.Is4In6() && bits >= 96 {
		addr, bits = addr.Unmap(), bits-96
	}
	p = netip.PrefixFrom(addr.WithZone(""), bits)
	m := p.Masked()
	return m, m != p, nil
}

// ParseIPOrCIDR parses a CIDR, or a single address meaning /32 or /128
// (Calico accepts both in nets). Addresses with a zone ("fe80::1%eth0")
// are rejected, as in CIDRs.
func ParseIPOrCIDR(s string) (p netip.Prefix, masked bool, err error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, false, fmt.Errorf("invalid IP or CIDR %s: expected an address such as 10.0.0.1 or a CIDR such as 10.0.0.0/16", quote(s))
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), false, nil
	}
	return ParseCIDR(s)
}

// stripLeadingZeros rewrites "010.001.0.0/16" as "10.1.0.0/16"; anything
// that is not a dotted IPv4 prefix is returned unchanged.
func stripLeadingZeros(s string) string {
	addr, bits, ok := strings.Cut(s, "/")
	if !ok || strings.Contains(addr, ":") {
		return s
	}
	parts := strings.Split(addr, ".")
	if len(parts) != 4 {
		return s
	}
	for i, p := range parts {
		t := strings.TrimLeft(p, "0")
		if t == "" && p != "" {
			t = "0"
		}
		parts[i] = t
	}
	return strings.Join(parts, ".") + "/" + bits
}
