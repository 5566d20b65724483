package access

import (
	"net/netip"
	"slices"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// outcomes collects the verdicts a connection can get depending on a
// choice nobody controls: which backend kube-proxy picks, which node the
// load balancer sends to, which replica of the controller forwards,
// which client connects [docs/exposure-outside.md §2.3].
type outcomes uint8

const (
	sawAllow outcomes = 1 << iota
	sawDeny
	sawConditional
)

func (o *outcomes) add(v reachability.Verdict) {
	switch v {
	case reachability.Allow:
		*o |= sawAllow
	case reachability.Conditional:
		*o |= sawConditional
	default:
		*o |= sawDeny
	}
}

// verdict is Allow when every choice allows, Deny when every choice
// denies (or there was no choice at all), and Conditional otherwise.
func (o outcomes) verdict() reachability.Verdict {
	switch o {
	case sawAllow:
		return reachability.Allow
	case 0, sawDeny:
		return reachability.Deny
	}
	return reachability.Conditional
}

// best returns the more open of two verdicts: a client that has two ways
// to a backend takes the one that works.
func best(a, b reachability.Verdict) reachability.Verdict {
	if b.Openness() > a.Openness() {
		return b
	}
	return a
}

// worst returns the less open of two verdicts: both hops of a path must
// let the connection through.
func worst(a, b reachability.Verdict) reachability.Verdict {
	if b.Openness() < a.Openness() {
		return b
	}
	return a
}

// clientPart is a range of client addresses outside the cluster that
// every policy and every load balancer source range treats alike.
type clientPart struct {
	Range netipx.IPRange
	// Addr is the range's first address (the second when the first is
	// the unspecified address), used to evaluate it.
	Addr netip.Addr
}

// clientParts cuts the external atoms of a matrix at every load balancer
// source range and leaves out the addresses of endpoints and nodes: what
// remains are the addresses a client outside the cluster can have
// [docs/exposure-outside.md §2.1].
func clientParts(s *policy.Snapshot, atoms []reachability.ExternalAtom) []clientPart {
	var owned netipx.IPSetBuilder
	for _, e := range s.Endpoints {
		for _, ip := range e.IPs {
			owned.Add(ip)
		}
	}
	for _, n := range s.Nodes {
		for _, ip := range n.Addresses {
			owned.Add(ip)
		}
	}
	ownedSet, _ := owned.IPSet()
	var cuts []netip.Addr
	for _, svc := range s.Services {
		for _, p := range svc.LoadBalancerSourceRanges {
			r := netipx.RangeOfPrefix(p)
			cuts = append(cuts, r.From())
			if next := r.To().Next(); next.IsValid() {
				cuts = append(cuts, next)
			}
		}
	}
	slices.SortFunc(cuts, netip.Addr.Compare)
	cuts = slices.Compact(cuts)
	var out []clientPart
	for _, a := range atoms {
		var b netipx.IPSetBuilder
		b.AddRange(a.Range)
		b.RemoveSet(ownedSet)
		free, _ := b.IPSet()
		for _, r := range free.Ranges() {
			for _, piece := range cutRange(r, cuts) {
				addr := piece.From()
				if addr.IsUnspecified() && piece.To() != addr {
					addr = addr.Next()
				}
				out = append(out, clientPart{Range: piece, Addr: addr})
			}
		}
	}
	return out
}

// cutRange splits r at every cut inside it.
func cutRange(r netipx.IPRange, cuts []netip.Addr) []netipx.IPRange {
	var out []netipx.IPRange
	from := r.From()
	for _, c := range cuts {
		if c.Compare(from) <= 0 || c.Compare(r.To()) > 0 || c.BitLen() != from.BitLen() {
			continue
		}
		out = append(out, netipx.IPRangeFrom(from, c.Prev()))
		from = c
	}
	return append(out, netipx.IPRangeFrom(from, r.To()))
}

// admits reports whether a load balancer with these source ranges
// accepts a client: every client when there are none.
func admits(ranges []netip.Prefix, client netip.Addr) bool {
	if len(ranges) == 0 {
		return true
	}
	for _, p := range ranges {
		if p.Contains(client) {
			return true
		}
	}
	return false
}

// keepsClient reports whether the backend's policy sees the client's own
// address for a connection through frontend f of svc: always without
// source NAT, and with kube-proxy when externalTrafficPolicy is Local
// [docs/exposure-outside.md §2.2].
func keepsClient(opts Options, svc *policy.Service) bool {
	return opts.SNAT == SNATNone || svc.ExternalTrafficPolicy == "Local"
}
