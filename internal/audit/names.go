package audit

import (
	"fmt"
	"strings"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// entryList names up to max entries, then says how many more there are.
func (a *analysis) entryList(entries []int, max int) string {
	names := make([]string, 0, min(len(entries), max))
	for _, i := range entries[:min(len(entries), max)] {
		names = append(names, a.m.Name(i))
	}
	return joinMore(names, len(entries))
}

// joinMore joins names and adds "and N more" when total exceeds them.
func joinMore(names []string, total int) string {
	s := strings.Join(names, ", ")
	if total > len(names) {
		s += fmt.Sprintf(" and %d more", total-len(names))
	}
	return s
}

// endpointRefs returns the object references of endpoint entries.
func (a *analysis) endpointRefs(entries []int) []policy.ObjectRef {
	out := make([]policy.ObjectRef, 0, len(entries))
	for _, i := range entries {
		out = append(out, a.m.Endpoint(i).ObjectRef)
	}
	return out
}

// ruleName describes a rule of a policy for people:
// "NetworkPolicy shop/web ingress rule 0".
func ruleName(ref policy.RuleRef) string {
	return fmt.Sprintf("%s %s rule %d", ref.Policy, ref.Dir, ref.Index)
}

// withLoc appends " (file:line)" when the location is known.
func withLoc(s string, l policy.Location) string {
	if l.IsValid() {
		return s + " (" + l.String() + ")"
	}
	return s
}

// sideText explains how one side of a traced flow was decided, and
// returns the deciding policy when a rule decided.
func sideText(s *reachability.SideTrace) (string, *policy.ObjectRef) {
	switch s.Decision {
	case reachability.ByRule:
		if s.Decider != nil {
			d := s.Decider
			txt := fmt.Sprintf("%s by %s %s rule %d", verb(s.Verdict), d.Policy, s.Direction, d.Index)
			ref := d.Policy
			return withLoc(txt, d.Source), &ref
		}
		return verb(s.Verdict) + " by a rule", nil
	case reachability.NotSelected:
		return "not isolated", nil
	case reachability.NotPoliced:
		return "not policed", nil
	}
	return s.Decision.String(), nil
}

func verb(v reachability.Verdict) string {
	switch v {
	case reachability.Allow:
		return "allowed"
	case reachability.Deny:
		return "denied"
	}
	return "conditional"
}

// countOf returns "1 pod" or "3 pods".
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// verbS returns the verb for a subject of n things: "accepts" for one,
// "accept" for several.
func verbS(n int, verb string) string {
	if n == 1 {
		return verb + "s"
	}
	return verb
}
