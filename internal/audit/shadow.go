package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
)

// The shadowing analysis walks, for each group of endpoint classes that
// the same rules apply to, the tiers of the lowered program in evaluation
// order and keeps, per address family and port atom, the set of remote
// entries whose flows are still undecided:
//
//	undecided ─┬─ tier 1: rule a (Deny)  ─▶ undecided &^= region(a)
//	           │          rule b (Pass)  ─▶ passed |= region(b) ∩ undecided, undecided &^= region(b)
//	           │          rule c (Allow) ─▶ c is live iff region(c) ∩ undecided ≠ ∅
//	           │   end of tier (it applied): undecided = passed (default Deny)
//	           │                              undecided |= passed (default Pass)
//	           └─ tier 2: …
//
// A rule that matches some flow but is never live is shadowed. In a tier
// whose rules all allow (Kubernetes NetworkPolicies, whose order does not
// matter), a rule is instead checked against the union of the tier's other
// rules: it is redundant when they cover it. Duplicates would each be
// covered by the other, so candidates are confirmed one at a time, last
// first, without the ones already confirmed: all the reported rules can be
// removed together without changing any verdict.

// crule is one lowered rule of one direction, prepared for the walk.
type crule struct {
	r        *policy.Rule
	pol      *policy.Lowered
	tier     int
	seq      int
	decisive bool
	local    [2]graph.Set // classes the rule applies to, per family
	remote   [2]graph.Set // remote entries, per family; nil when the family is skipped
	eligible []bool       // per port atom: protocol matches, no numeric notPort excludes it
	numeric  []bool       // per port atom: matched without named ports
	named    []policy.PortMatch
	notNamed []policy.PortMatch

	nonEmpty   bool      // matches some flow of some subject
	live       bool      // decides some flow (or is not covered, in a union tier)
	firstGroup int       // a class for which the rule matches something
	passOpen   graph.Set // Pass rules: classes whose passed traffic reaches no later tier
}

// ctier is one tier of the program for one direction.
type ctier struct {
	name        string
	rules       []*crule
	subj        graph.Set // classes the tier applies to
	union       bool      // every rule allows (or logs): order does not matter
	passDefault bool
}

type shadowing struct {
	a     *analysis
	d     policy.Direction
	tiers []*ctier
	rules []*crule
	und   [2][]graph.Set
	pass  [2][]graph.Set
	tmp   graph.Set
	tmp2  graph.Set
	tgt   graph.Set
	// cur is the class being walked and mask, per family, the entries
	// its flows can reach: familyMask without the class itself when it
	// has one member (a pod and itself are not a flow).
	cur  int
	mask [2]graph.Set
	// compat is mask restricted to the families the class has an address
	// of (both for an endpoint without addresses): the flows that can
	// happen, which isolation is judged on. The engine also decides the
	// others (an IPv6-only pod to an IPv4 atom), so the shadowing
	// analysis walks the whole mask.
	compat [2]graph.Set
}

type shadower struct {
	rule      *crule
	endOfTier string
}

func (a *analysis) newShadowing(d policy.Direction) *shadowing {
	s := &shadowing{a: a, d: d, tmp: graph.NewSet(a.nU), tmp2: graph.NewSet(a.nU), tgt: graph.NewSet(a.nU), cur: -1,
		mask: [2]graph.Set{graph.NewSet(a.nU), graph.NewSet(a.nU)}, compat: [2]graph.Set{graph.NewSet(a.nU), graph.NewSet(a.nU)}}
	for f := range 2 {
		s.und[f] = make([]graph.Set, len(a.ports))
		s.pass[f] = make([]graph.Set, len(a.ports))
		for p := range a.ports {
			s.und[f][p] = graph.NewSet(a.nU)
			s.pass[f][p] = graph.NewSet(a.nU)
		}
	}
	for ti, t := range a.prog.Tiers {
		ct := &ctier{name: t.Name, subj: graph.NewSet(a.nU), union: true, passDefault: t.DefaultAction == policy.ActionPass}
		for _, l := range t.Policies {
			if !l.Applies[d] {
				continue
			}
			subj := a.subject(l)
			ct.subj.Or(subj)
			for i := range l.Rules[d] {
				cr := a.prepareRule(&l.Rules[d][i], l, d, subj)
				cr.tier, cr.seq = ti, len(s.rules)
				if cr.r.Action == policy.ActionDeny || cr.r.Action == policy.ActionPass {
					ct.union = false
				}
				ct.rules = append(ct.rules, cr)
				s.rules = append(s.rules, cr)
			}
		}
		s.tiers = append(s.tiers, ct)
	}
	return s
}

func (a *analysis) prepareRule(r *policy.Rule, l *policy.Lowered, d policy.Direction, subj graph.Set) *crule {
	cr := &crule{r: r, pol: l, firstGroup: -1,
		decisive: r.Conditional == "" && (r.Action == policy.ActionAllow || r.Action == policy.ActionDeny || r.Action == policy.ActionPass)}
	local, remote := sides(r, d)
	ls, rs := a.entity(local), a.entity(remote)
	for f := range 2 {
		cr.local[f] = graph.NewSet(a.nU)
		cr.local[f].CopyFrom(subj)
		cr.local[f].And(ls[f])
		if !r.SkipFamily[f] && (r.IPVersion == 0 || r.IPVersion == famOf(f)) {
			cr.remote[f] = rs[f]
		}
	}
	cr.eligible = make([]bool, len(a.ports))
	cr.numeric = make([]bool, len(a.ports))
	for _, m := range r.Dst.Ports {
		if m.Name != "" {
			cr.named = append(cr.named, m)
		}
	}
	for _, m := range r.Dst.NotPorts {
		if m.Name != "" {
			cr.notNamed = append(cr.notNamed, m)
		}
	}
	for p, at := range a.ports {
		if r.Protocol != policy.AnyProtocol && at.Protocol != r.Protocol || r.NotProtocol != policy.AnyProtocol && at.Protocol == r.NotProtocol {
			continue
		}
		excluded := false
		for _, m := range r.Dst.NotPorts {
			if m.Name == "" && portMatches(m, p, a) {
				excluded = true
			}
		}
		if excluded {
			continue
		}
		cr.eligible[p] = true
		cr.numeric[p] = r.Dst.Ports == nil
		for _, m := range r.Dst.Ports {
			if m.Name == "" && portMatches(m, p, a) {
				cr.numeric[p] = true
			}
		}
	}
	return cr
}

// portMatches reports whether a numeric port match covers port atom p.
// Atoms are cut at every boundary a rule names, so overlap means
// containment.
func portMatches(m policy.PortMatch, p int, a *analysis) bool {
	at := a.ports[p]
	if m.Protocol != policy.AnyProtocol && m.Protocol != at.Protocol {
		return false
	}
	if !at.Protocol.HasPorts() {
		return m.Protocol == at.Protocol || (m.Lo == 0 && m.Hi == 65535)
	}
	return at.Lo <= m.Hi && at.Hi >= m.Lo
}

// namedClasses returns the pod classes that declare a container port named
// m.Name of the atom's protocol with its number inside the atom.
func (a *analysis) namedClasses(m policy.PortMatch, p int) graph.Set {
	at := a.ports[p]
	key := fmt.Sprintf("named\x00%s\x00%d\x00%d", m.Name, m.Protocol, p)
	return a.classSet(key, func(c int) bool {
		if !a.podNet.Has(c) || (m.Protocol != policy.AnyProtocol && m.Protocol != at.Protocol) {
			return false
		}
		for _, cp := range a.rep[c].Ports {
			if cp.Name == m.Name && cp.Protocol == at.Protocol && cp.Port >= at.Lo && cp.Port <= at.Hi {
				return true
			}
		}
		return false
	})
}

func (a *analysis) resolvesNamed(c int, ms []policy.PortMatch, p int) bool {
	for _, m := range ms {
		if a.namedClasses(m, p).Has(c) {
			return true
		}
	}
	return false
}

// region fills dst with the remote entries whose flows with local class c
// on family f and port atom p the rule matches, and reports whether there
// is any.
func (s *shadowing) region(cr *crule, c, f, p int, dst graph.Set) bool {
	if cr.remote[f] == nil || !cr.eligible[p] || !cr.local[f].Has(c) {
		return false
	}
	a := s.a
	switch {
	case cr.numeric[p]:
		dst.CopyFrom(cr.remote[f])
	case len(cr.named) > 0 && s.d == policy.Ingress:
		if !a.resolvesNamed(c, cr.named, p) {
			return false
		}
		dst.CopyFrom(cr.remote[f])
	case len(cr.named) > 0:
		dst.Clear()
		for _, m := range cr.named {
			dst.Or(a.namedClasses(m, p))
		}
		dst.And(cr.remote[f])
	default:
		return false
	}
	if len(cr.notNamed) > 0 {
		if s.d == policy.Ingress {
			if a.resolvesNamed(c, cr.notNamed, p) {
				return false
			}
		} else {
			for _, m := range cr.notNamed {
				dst.AndNot(a.namedClasses(m, p))
			}
		}
	}
	s.setClass(c)
	dst.And(s.mask[f])
	return !dst.IsEmpty()
}

// setClass prepares the masks of class c.
func (s *shadowing) setClass(c int) {
	if s.cur == c {
		return
	}
	s.cur = c
	e := s.a.rep[c]
	for f := range 2 {
		s.mask[f].CopyFrom(s.a.familyMask(c, f))
		if len(s.a.members[c]) < 2 {
			s.mask[f].Remove(c)
		}
		s.compat[f].Clear()
		if hasFamily(e, f) {
			s.compat[f].CopyFrom(s.mask[f])
			s.compat[f].And(s.a.familyEntries(f))
		}
	}
}

// hasFamily reports whether an endpoint can use family f (0: IPv4, 1:
// IPv6): it has an address of the family, or none at all.
func hasFamily(e *policy.Endpoint, f int) bool {
	_, ok := e.IP(famOf(f))
	return ok || len(e.IPs) == 0
}

// familyEntries returns the classes that can use family f and the atoms
// of the family.
func (a *analysis) familyEntries(f int) graph.Set {
	key := fmt.Sprintf("famentries\x00%d", f)
	if set, ok := a.sets[key]; ok {
		return set
	}
	set := graph.NewSet(a.nU)
	for c := range a.nC {
		if hasFamily(a.rep[c], f) {
			set.Add(c)
		}
	}
	for i, at := range a.atoms {
		if at.Family() == famOf(f) {
			set.Add(a.nC + i)
		}
	}
	a.sets[key] = set
	return set
}

func (cr *crule) appliesTo(c int) bool { return cr.local[0].Has(c) || cr.local[1].Has(c) }

// walkState selects what a walk does: detect (no target) marks every
// rule's nonEmpty, live and passOpen; with a target it either rechecks
// the target's coverage without the excluded rules, or (attribute)
// collects the rules and tier ends that decide the target's flows first.
type walkState struct {
	target    *crule
	excluded  map[*crule]bool
	attribute bool
	// redundant checks whether the flows the target decides in its
	// ordered tier would be decided the same way by the tier's later
	// rules if it were removed (covered), collecting those rules.
	redundant bool

	covered    bool
	restricted bool // detect: the walk denied something
	shadowers  []shadower
}

func (w *walkState) addShadower(sh shadower) {
	for _, x := range w.shadowers {
		if x == sh {
			return
		}
	}
	w.shadowers = append(w.shadowers, sh)
}

// walk evaluates the program for local class c.
func (s *shadowing) walk(c int, w *walkState) {
	a := s.a
	s.setClass(c)
	for f := range 2 {
		for p := range a.ports {
			s.und[f][p].CopyFrom(s.mask[f])
		}
	}
	w.covered = true
	var applying []*crule
	for ti, ct := range s.tiers {
		if w.target != nil && ti > w.target.tier {
			return
		}
		if !ct.subj.Has(c) {
			continue
		}
		applying = applying[:0]
		for _, cr := range ct.rules {
			if cr.appliesTo(c) && !w.excluded[cr] {
				applying = append(applying, cr)
			}
		}
		if ct.union {
			s.unionTier(c, ti, ct, applying, w)
		} else if s.orderedTier(c, ti, ct, applying, w) {
			return
		}
	}
}

// targetRegion fills s.tgt with the target's region, or reports false.
func (s *shadowing) targetRegion(w *walkState, c, f, p int) bool {
	return w.target != nil && s.region(w.target, c, f, p, s.tgt)
}

// orderedTier walks a tier whose rules decide in order. It reports true
// when the walk reached its target and is over.
func (s *shadowing) orderedTier(c, ti int, ct *ctier, applying []*crule, w *walkState) bool {
	a := s.a
	for f := range 2 {
		for p := range a.ports {
			s.pass[f][p].Clear()
		}
	}
	for k, cr := range applying {
		if w.attribute && cr == w.target {
			return true
		}
		if w.redundant && cr == w.target {
			s.coveredByLater(c, applying[k+1:], w)
			return true
		}
		for f := range 2 {
			for p := range a.ports {
				if !s.region(cr, c, f, p, s.tmp) {
					continue
				}
				und := s.und[f][p]
				switch {
				case w.target == nil:
					if cr.firstGroup < 0 {
						cr.firstGroup = c
					}
					cr.nonEmpty = true
					if s.tmp.Intersects(und) {
						cr.live = true
						if cr.r.Action == policy.ActionPass && cr.decisive && s.noLaterTier(c, ti) {
							if cr.passOpen == nil {
								cr.passOpen = graph.NewSet(a.nU)
							}
							cr.passOpen.Add(c)
						}
					}
				case w.attribute && cr.decisive && s.targetRegion(w, c, f, p):
					s.tmp2.CopyFrom(s.tmp)
					s.tmp2.And(und)
					if s.tmp2.Intersects(s.tgt) {
						w.addShadower(shadower{rule: cr})
					}
				}
				if !cr.decisive {
					continue
				}
				if w.target == nil && cr.r.Action == policy.ActionDeny && !w.restricted {
					s.tmp2.CopyFrom(s.tmp)
					s.tmp2.And(und)
					w.restricted = s.tmp2.Intersects(s.compat[f])
				}
				if cr.r.Action == policy.ActionPass {
					s.tmp2.CopyFrom(s.tmp)
					s.tmp2.And(und)
					s.pass[f][p].Or(s.tmp2)
				}
				und.AndNot(s.tmp)
			}
		}
	}
	for f := range 2 {
		for p := range a.ports {
			und := s.und[f][p]
			if ct.passDefault {
				und.Or(s.pass[f][p])
				continue
			}
			if w.target == nil && !w.restricted {
				s.tmp2.CopyFrom(und)
				s.tmp2.AndNot(s.pass[f][p])
				w.restricted = s.tmp2.Intersects(s.compat[f])
			}
			if w.attribute && s.targetRegion(w, c, f, p) {
				s.tmp2.CopyFrom(und)
				s.tmp2.AndNot(s.pass[f][p])
				if s.tmp2.Intersects(s.tgt) {
					w.addShadower(shadower{endOfTier: ct.name})
				}
			}
			und.CopyFrom(s.pass[f][p])
		}
	}
	return false
}

// coveredByLater decides, for class c, whether every flow the target
// decides (its region among the undecided flows) is matched first, among
// the later rules of its ordered tier, by a rule of the same action: then
// removing the target changes no verdict. A flow that reaches a rule of
// another action, or no later rule (the tier's end), is not covered: an
// explicit deny before the implicit one at the end of a tier is a matter
// of style, not a redundant rule.
func (s *shadowing) coveredByLater(c int, later []*crule, w *walkState) {
	a := s.a
	eff, reg := graph.NewSet(a.nU), graph.NewSet(a.nU)
	for f := range 2 {
		for p := range a.ports {
			if !s.region(w.target, c, f, p, eff) {
				continue
			}
			eff.And(s.und[f][p])
			for _, cr := range later {
				if eff.IsEmpty() {
					break
				}
				if !cr.decisive || !s.region(cr, c, f, p, reg) || !reg.Intersects(eff) {
					continue
				}
				if cr.r.Action != w.target.r.Action {
					w.covered = false
					return
				}
				w.addShadower(shadower{rule: cr})
				eff.AndNot(reg)
			}
			if !eff.IsEmpty() {
				w.covered = false
				return
			}
		}
	}
}

// unionTier walks a tier whose rules all allow: each rule is checked
// against the union of the others.
func (s *shadowing) unionTier(c, ti int, ct *ctier, applying []*crule, w *walkState) {
	a := s.a
	regs := make([]graph.Set, len(applying))
	has := make([]bool, len(applying))
	for k := range regs {
		regs[k] = graph.NewSet(a.nU)
	}
	others := s.tmp
	eff := s.tmp2
	for f := range 2 {
		for p := range a.ports {
			any := false
			for k, cr := range applying {
				has[k] = s.region(cr, c, f, p, regs[k])
				any = any || has[k]
			}
			if !any {
				if !ct.passDefault && w.attribute && s.targetRegion(w, c, f, p) && s.und[f][p].Intersects(s.tgt) {
					w.addShadower(shadower{endOfTier: ct.name})
				}
				if !ct.passDefault {
					if w.target == nil && s.und[f][p].Intersects(s.compat[f]) {
						w.restricted = true
					}
					s.und[f][p].Clear()
				}
				continue
			}
			und := s.und[f][p]
			for k, cr := range applying {
				if !has[k] || (w.target != nil && cr != w.target) {
					continue
				}
				if w.target == nil {
					if cr.firstGroup < 0 {
						cr.firstGroup = c
					}
					cr.nonEmpty = true
				}
				eff.CopyFrom(regs[k])
				eff.And(und)
				if eff.IsEmpty() {
					continue
				}
				others.Clear()
				for j, o := range applying {
					if j != k && has[j] && o.decisive {
						if w.attribute && regs[j].Intersects(eff) {
							w.addShadower(shadower{rule: o})
						}
						others.Or(regs[j])
					}
				}
				eff.AndNot(others)
				if !eff.IsEmpty() {
					if w.target == nil {
						cr.live = true
					} else {
						w.covered = false
					}
				}
			}
			if w.attribute && w.target.tier != ti && s.targetRegion(w, c, f, p) {
				for k, cr := range applying {
					if has[k] && cr.decisive {
						eff.CopyFrom(regs[k])
						eff.And(und)
						if eff.Intersects(s.tgt) {
							w.addShadower(shadower{rule: cr})
						}
					}
				}
			}
			for k, cr := range applying {
				if has[k] && cr.decisive {
					und.AndNot(regs[k])
				}
			}
			if !ct.passDefault {
				if w.target == nil && und.Intersects(s.compat[f]) {
					w.restricted = true
				}
				if w.attribute && w.target.tier != ti && s.targetRegion(w, c, f, p) && und.Intersects(s.tgt) {
					w.addShadower(shadower{endOfTier: ct.name})
				}
				und.Clear()
			}
		}
	}
}

// noLaterTier reports whether no tier after ti applies to class c.
func (s *shadowing) noLaterTier(c, ti int) bool {
	for _, ct := range s.tiers[ti+1:] {
		if ct.subj.Has(c) {
			return false
		}
	}
	return true
}

// groups partitions the subject classes by everything the walk reads, and
// returns one representative class per group with the group's classes.
func (s *shadowing) groups() (reps []int, members [][]int) {
	a := s.a
	anyNamed := false
	for _, cr := range s.rules {
		anyNamed = anyNamed || len(cr.named) > 0 || len(cr.notNamed) > 0
	}
	index := map[string]int{}
	var key []byte
	for c := range a.nC {
		if a.rep[c] == nil || !a.podNet.Has(c) {
			continue
		}
		key = key[:0]
		applies := false
		for _, cr := range s.rules {
			b := byte('0')
			if cr.local[0].Has(c) {
				b |= 1
			}
			if cr.local[1].Has(c) {
				b |= 2
			}
			applies = applies || b != '0'
			key = append(key, b)
		}
		for _, ct := range s.tiers {
			if ct.subj.Has(c) {
				key = append(key, '1')
				applies = true
			} else {
				key = append(key, '0')
			}
		}
		if !applies {
			continue
		}
		if a.v4[c] {
			key = append(key, '4')
		}
		if len(a.members[c]) < 2 {
			// A single pod does not reach itself through policy, so its
			// flows exclude its own class: the walk depends on which
			// class it is.
			key = fmt.Appendf(key, "#%d", c)
		}
		if anyNamed && s.d == policy.Ingress {
			for _, cp := range a.rep[c].Ports {
				key = fmt.Appendf(key, "|%s/%d/%d", cp.Name, cp.Protocol, cp.Port)
			}
		}
		g, ok := index[string(key)]
		if !ok {
			g = len(reps)
			index[string(key)] = g
			reps = append(reps, c)
			members = append(members, nil)
		}
		members[g] = append(members[g], c)
	}
	return reps, members
}

// walkAll runs the walk for both directions, once: it fills
// a.restricted and a.shadowFindings.
func (a *analysis) walkAll() {
	if a.walked {
		return
	}
	a.walked = true
	for d := policy.Ingress; d <= policy.Egress; d++ {
		a.restricted[d] = graph.NewSet(a.nU)
		a.shadowed = append(a.shadowed, a.newShadowing(d).findings(a.restricted[d])...)
	}
}

// shadowFindings returns the shadowed (NR011) and redundant (NR012) rules
// and the Pass rules that fall through to the end (NR015), for both
// directions.
func (a *analysis) shadowFindings() []Finding {
	a.walkAll()
	return a.shadowed
}

// findings walks every group and returns the findings of the direction;
// it adds the classes whose side denies something to restricted.
func (s *shadowing) findings(restricted graph.Set) []Finding {
	reps, members := s.groups()
	for g, c := range reps {
		w := &walkState{}
		s.walk(c, w)
		if w.restricted {
			for _, m := range members[g] {
				restricted.Add(m)
			}
		}
		// Pass findings are per class: extend the representative's to
		// its group.
		for _, cr := range s.rules {
			if cr.passOpen != nil && cr.passOpen.Has(c) {
				for _, m := range members[g] {
					cr.passOpen.Add(m)
				}
			}
		}
	}
	// Confirm union-tier candidates one at a time, last first.
	confirmed := map[*crule]bool{}
	for i := len(s.rules) - 1; i >= 0; i-- {
		cr := s.rules[i]
		if !cr.nonEmpty || cr.live || !s.tiers[cr.tier].union {
			continue
		}
		ok := true
		for _, c := range reps {
			if !cr.appliesTo(c) {
				continue
			}
			w := &walkState{target: cr, excluded: confirmed}
			s.walk(c, w)
			if !w.covered {
				ok = false
				break
			}
		}
		if ok {
			confirmed[cr] = true
		}
	}
	// Confirm ordered-tier candidates the same way: live Allow and Deny
	// rules whose flows the later rules of their tier decide alike,
	// without the dead rules and those already confirmed.
	laterBy := map[*crule][]shadower{}
	gone := map[*crule]bool{}
	for cr := range confirmed {
		gone[cr] = true
	}
	for _, cr := range s.rules {
		if cr.nonEmpty && !cr.live {
			gone[cr] = true
		}
	}
	for i := len(s.rules) - 1; i >= 0; i-- {
		cr := s.rules[i]
		if !cr.live || !cr.decisive || s.tiers[cr.tier].union || (cr.r.Action != policy.ActionAllow && cr.r.Action != policy.ActionDeny) {
			continue
		}
		var by []shadower
		ok := true
		for _, c := range reps {
			if !cr.appliesTo(c) {
				continue
			}
			w := &walkState{target: cr, excluded: gone, redundant: true}
			s.walk(c, w)
			if !w.covered {
				ok = false
				break
			}
			for _, sh := range w.shadowers {
				if !slices.Contains(by, sh) {
					by = append(by, sh)
				}
			}
		}
		if ok && len(by) > 0 {
			laterBy[cr] = by
			gone[cr] = true
		}
	}
	// A rule of the original object may have been lowered into several;
	// it is dead only when every piece is.
	type origKey struct {
		policy string
		index  int
	}
	alive := map[origKey]bool{}
	for _, cr := range s.rules {
		k := origKey{cr.pol.Ref.Key(), cr.r.Ref.Index}
		dead := cr.nonEmpty && (!cr.live && (!s.tiers[cr.tier].union || confirmed[cr]) || laterBy[cr] != nil)
		if !dead && cr.nonEmpty {
			alive[k] = true
		}
	}
	var out []Finding
	reported := map[origKey]bool{}
	for _, cr := range s.rules {
		k := origKey{cr.pol.Ref.Key(), cr.r.Ref.Index}
		if cr.passOpen != nil && !reported[origKey{"pass\x00" + k.policy, k.index}] {
			reported[origKey{"pass\x00" + k.policy, k.index}] = true
			out = append(out, s.passFinding(cr))
		}
		if alive[k] || reported[k] || !cr.nonEmpty || cr.r.Action == policy.ActionLog {
			continue
		}
		reported[k] = true
		if by := laterBy[cr]; by != nil {
			out = append(out, s.laterRedundantFinding(cr, by))
			continue
		}
		excl := map[*crule]bool{}
		for x := range confirmed {
			if x != cr {
				excl[x] = true
			}
		}
		w := &walkState{target: cr, excluded: excl, attribute: true}
		s.walk(cr.firstGroup, w)
		out = append(out, s.deadRuleFinding(cr, w.shadowers))
	}
	return out
}

func (s *shadowing) deadRuleFinding(cr *crule, shs []shadower) Finding {
	kind := RuleRedundant
	var by []string
	var objs = []policy.ObjectRef{cr.pol.Ref}
	for _, sh := range shs {
		if sh.rule == nil {
			kind = RuleShadowed
			by = append(by, fmt.Sprintf("the implicit deny at the end of tier %s", sh.endOfTier))
			continue
		}
		if sh.rule.r.Action != cr.r.Action {
			kind = RuleShadowed
		}
		by = append(by, withLoc(fmt.Sprintf("%s (%s)", ruleName(sh.rule.r.Ref), sh.rule.r.Action), sh.rule.r.Ref.Source))
		if !hasRef(objs, sh.rule.pol.Ref) {
			objs = append(objs, sh.rule.pol.Ref)
		}
	}
	if len(by) > 4 {
		by = append(by[:4], fmt.Sprintf("%d more", len(by)-4))
	}
	byText := strings.Join(by, ", ")
	if byText == "" {
		byText = "other rules"
	}
	name := fmt.Sprintf("%s (%s)", ruleName(cr.r.Ref), cr.r.Action)
	var f Finding
	if kind == RuleShadowed {
		f = newFinding(kind, cr.pol.Ref.Namespace, fmt.Sprintf("%s never takes effect: every flow it matches is decided before it by %s", name, byText),
			fmt.Sprintf("Move %s before the rules that shadow it (a lower order), narrow them, or delete it.", ruleName(cr.r.Ref)))
	} else {
		f = newFinding(kind, cr.pol.Ref.Namespace, fmt.Sprintf("%s is redundant: every flow it matches is decided the same way by %s", name, byText),
			fmt.Sprintf("Delete %s, or merge it with the rules that cover it.", ruleName(cr.r.Ref)))
	}
	f.Location = cr.r.Ref.Source
	f.Rule = ruleRef(cr.r.Ref)
	f.Objects = objs
	return f
}

// laterRedundantFinding reports a rule of an ordered tier whose flows the
// later rules by decide the same way (NR012).
func (s *shadowing) laterRedundantFinding(cr *crule, by []shadower) Finding {
	names := make([]string, 0, min(len(by), 4))
	objs := []policy.ObjectRef{cr.pol.Ref}
	for _, sh := range by {
		if len(names) < 4 {
			names = append(names, withLoc(fmt.Sprintf("%s (%s)", ruleName(sh.rule.r.Ref), sh.rule.r.Action), sh.rule.r.Ref.Source))
		}
		if !hasRef(objs, sh.rule.pol.Ref) {
			objs = append(objs, sh.rule.pol.Ref)
		}
	}
	f := newFinding(RuleRedundant, cr.pol.Ref.Namespace,
		fmt.Sprintf("%s (%s) is redundant: without it, every flow it decides would be decided the same way by the later %s",
			ruleName(cr.r.Ref), cr.r.Action, joinMore(names, len(by))),
		fmt.Sprintf("Delete %s: the later rules already %s its flows.", ruleName(cr.r.Ref), strings.ToLower(cr.r.Action.String())))
	f.Location = cr.r.Ref.Source
	f.Rule = ruleRef(cr.r.Ref)
	f.Objects = objs
	return f
}

func (s *shadowing) passFinding(cr *crule) Finding {
	a := s.a
	eps := a.endpointsOf(cr.passOpen)
	end := "their Calico profile allows it"
	if a.prog.Mode == policy.ModeK8s {
		end = "it is allowed by default (no NetworkPolicy or baseline policy applies)"
	}
	tiers := make([]string, 0, len(s.tiers)-cr.tier-1)
	for _, ct := range s.tiers[cr.tier+1:] {
		tiers = append(tiers, ct.name)
	}
	later := "there is no later tier"
	if len(tiers) > 0 {
		later = "no later tier (" + strings.Join(tiers, ", ") + ") applies to them"
	}
	f := newFinding(PassFallsThrough, cr.pol.Ref.Namespace,
		fmt.Sprintf("%s passes %s traffic of %s to the next tier, but %s, so %s: %s",
			ruleName(cr.r.Ref), s.d, countOf(len(eps), "pod"), later, end, a.entryList(eps, 5)),
		"Add a policy in a later tier for these pods, or make the rule Allow or Deny explicitly.")
	f.Location = cr.r.Ref.Source
	f.Rule = ruleRef(cr.r.Ref)
	f.Objects = []policy.ObjectRef{cr.pol.Ref}
	return f
}
