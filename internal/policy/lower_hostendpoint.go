package policy

import (
	"net/netip"
	"sort"
)

// hostTiers are the tiers host endpoints add around the Calico plan
// [docs/calico-host-endpoints.md §3]: in front, the failsafe rules, then
// the doNotTrack (untracked) and preDNAT policies; at the back, the
// profiles of host endpoints without the default-allow profile.
type hostTiers struct {
	front, back []*Tier
}

// Names of the tiers and pseudo-objects host endpoints add.
const (
	FailsafeTierName = "failsafe"
	ProfileTierName  = "host endpoint profiles"
	UntrackedPrefix  = "untracked "
	PreDNATPrefix    = "preDNAT "
	// FailsafeKind and ProfileKind are the kinds of the pseudo-objects
	// their rules cite.
	FailsafeKind = "Failsafe"
	ProfileKind  = "Profile"
)

// lowerHostTiers returns the host endpoint tiers of a snapshot made by
// [Snapshot.WithHostEndpoints], or nil when it has no host endpoint.
func lowerHostTiers(s *Snapshot, opts LowerOptions) *hostTiers {
	byNode := map[string][]string{}
	var nodes, noProfile []string
	for _, e := range s.Endpoints {
		if e.Host == nil {
			continue
		}
		if byNode[e.Node] == nil {
			nodes = append(nodes, e.Node)
		}
		byNode[e.Node] = append(byNode[e.Node], e.ID())
		if !e.Host.DefaultAllow() {
			noProfile = append(noProfile, e.ID())
		}
	}
	if len(nodes) == 0 {
		return nil
	}
	sort.Strings(nodes)
	out := &hostTiers{}
	failsafe := &Tier{Name: FailsafeTierName, DefaultAction: ActionPass}
	for _, n := range nodes {
		failsafe.Policies = append(failsafe.Policies, failsafePolicy(n, byNode[n], s.HostSettings(n)))
	}
	out.front = append(out.front, failsafe)
	untracked, preDNAT := s.CalicoHostPlan(opts.CalicoVersion)
	for _, group := range []struct {
		plan   []*PlanTier
		prefix string
		scope  HostScope
	}{{untracked, UntrackedPrefix, NamedHostsOnly}, {preDNAT, PreDNATPrefix, HostsOnly}} {
		for _, pt := range group.plan {
			// No end-of-tier drop: what these policies leave undecided
			// goes on to the normal policies.
			t := &Tier{Name: group.prefix + pt.Name, DefaultAction: ActionPass}
			for _, m := range pt.Members {
				l, d := lowerCalicoPolicy(m.Calico, s)
				l.diags, l.From = d, m.Calico
				l.Subject.Hosts = group.scope
				t.Policies = append(t.Policies, l)
			}
			out.front = append(out.front, t)
		}
	}
	if len(noProfile) > 0 {
		prof := &Tier{Name: ProfileTierName, DefaultAction: ActionDeny}
		prof.Policies = append(prof.Policies, &Lowered{
			Ref:     ObjectRef{Group: CalicoGroup, Kind: ProfileKind, Name: "(none)"},
			Subject: Subject{Hosts: HostsOnly, HostIDs: noProfile},
			Applies: [2]bool{true, true},
		})
		out.back = append(out.back, prof)
	}
	return out
}

// failsafePolicy lowers the failsafe ports of one node's host endpoints to
// Allow rules: inbound entries restrict the destination port and the
// source address, outbound entries the destination port and address.
func failsafePolicy(node string, ids []string, hs *HostSettings) *Lowered {
	ref := ObjectRef{Group: CalicoGroup, Kind: FailsafeKind, Name: node}
	l := &Lowered{Ref: ref, Subject: Subject{Hosts: HostsOnly, HostIDs: ids}, Applies: [2]bool{true, true}}
	for d, list := range [2][]FailsafePort{hs.FailsafeInbound, hs.FailsafeOutbound} {
		dir := Direction(d)
		for i, fp := range list {
			r := Rule{Ref: RuleRef{Policy: ref, Dir: dir, Index: i}, Action: ActionAllow, Protocol: fp.Protocol}
			r.Dst.Ports = []PortMatch{{Protocol: fp.Protocol, Lo: fp.Port, Hi: fp.Port}}
			if fp.Net.IsValid() {
				peers := []Peer{{Nets: prefixSet([]netip.Prefix{fp.Net})}}
				if dir == Ingress {
					r.Src.Peers = peers
				} else {
					r.Dst.Peers = peers
				}
			}
			l.Rules[dir] = append(l.Rules[dir], r)
		}
	}
	return l
}
