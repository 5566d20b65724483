package reachability

import (
	"context"
	"reflect"
	"slices"

	"github.com/netreach/netreach/graph"
	"github.com/netreach/netreach/policy"
)

// Update computes the matrix of s, a new version of prev's snapshot in
// which only policies changed, re-evaluating only the rows that the changed
// policies can affect — the egress and ingress rows of the classes they
// select, on the port atoms their rules can match (every atom when their
// tier isolates) — and copying every other row from prev. prev must have
// been computed with Options.KeepSides (the result keeps its sides too).
// The result is exactly what Compute(ctx, s, prev.Options()) returns; when
// the inventory differs (endpoints, namespaces, services, service accounts,
// network sets or nodes) or the tiers were reordered, Update computes from
// scratch. Stats().RowsCopied tells how much was reused.
func Update(ctx context.Context, prev *Matrix, s *policy.Snapshot) (*Matrix, error) {
	opts := prev.opts
	opts.KeepSides = true
	e, m := build(s, opts)
	src := newRowCopier(prev, e, m)
	if src == nil {
		if err := e.run(ctx, m, nil); err != nil {
			return nil, err
		}
		return m, nil
	}
	if err := e.run(ctx, m, src); err != nil {
		return nil, err
	}
	return m, nil
}

// rowCopier copies unaffected rows of the previous matrix into the new one.
type rowCopier struct {
	prev *Matrix
	// affected[d] holds the subject classes whose direction-d rows must be
	// evaluated; atoms[p] is false for port atoms no change can reach.
	affected [2]graph.Set
	atoms    []bool
	// oldAtom maps a new port atom to the previous one holding it (-1: none).
	oldAtom []int
	// oldRow maps each new universe entry (row or column) to the previous
	// one; same is true when the two universes are identical.
	oldRow []int
	same   bool
}

// newRowCopier compares the previous matrix with the new engine and
// returns nil when rows cannot be reused.
func newRowCopier(prev *Matrix, e *engine, m *Matrix) *rowCopier {
	if prev.sides == nil || prev.mode != m.mode || !sameInventory(prev.snap, m.snap) {
		return nil
	}
	changed, ok := changedPolicies(prev.prog, e.prog)
	if !ok {
		return nil
	}
	rc := &rowCopier{prev: prev}
	for d := range rc.affected {
		rc.affected[d] = graph.NewSet(e.u.nU)
	}
	rc.atoms = make([]bool, len(e.ports))
	for _, ch := range changed {
		sub := e.comp.subject(&ch.pol.Subject)
		for d := range rc.affected {
			if ch.pol.Applies[d] {
				rc.affected[d].Or(sub)
			}
		}
		for a, at := range e.ports {
			if ch.isolates || canMatchAtom(ch.pol, at) {
				rc.atoms[a] = true
			}
		}
	}
	rc.oldAtom = make([]int, len(e.ports))
	for a, at := range e.ports {
		rc.oldAtom[a] = prev.PortAtomIndex(at.Protocol, at.Lo)
	}
	// Map the new universe onto the previous one: classes through any of
	// their members (members of one new class are treated alike by every
	// unchanged policy), atoms through their first address.
	rc.oldRow = make([]int, e.u.nU)
	for c, cl := range e.u.classes {
		rc.oldRow[c] = prev.classOf[cl.members[0]]
	}
	for k, at := range e.u.atoms {
		old := atomOf(prev.u.atoms, at.Range.From())
		if old < 0 {
			return nil // a new address family: no previous column to copy
		}
		rc.oldRow[e.u.nC+k] = prev.u.nC + old
	}
	rc.same = e.u.nU == prev.u.nU && slices.Equal(m.classOf, prev.classOf) &&
		slices.Equal(e.u.atoms, prev.u.atoms)
	if rc.same {
		for i, o := range rc.oldRow {
			if o != i {
				rc.same = false
				break
			}
		}
	}
	return rc
}

// copy fills row r of both sides of port atom a from the previous matrix
// when neither side of it is affected.
func (rc *rowCopier) copy(r, a int, s *sides) bool {
	pa := rc.oldAtom[a]
	if pa < 0 || (rc.atoms[a] && (rc.affected[policy.Egress].Has(r) || rc.affected[policy.Ingress].Has(r))) {
		return false
	}
	old := rc.prev.sides[pa]
	or := rc.oldRow[r]
	rc.copyRow(s.eg.Row(r), old.eg.Row(or))
	rc.copyRow(s.in.Row(r), old.in.Row(or))
	if s.egPos != nil {
		if old.egPos == nil {
			// The previous matrix had no conditional rules: its definite
			// rows are its possible rows.
			rc.copyRow(s.egPos.Row(r), old.eg.Row(or))
			rc.copyRow(s.inPos.Row(r), old.in.Row(or))
		} else {
			rc.copyRow(s.egPos.Row(r), old.egPos.Row(or))
			rc.copyRow(s.inPos.Row(r), old.inPos.Row(or))
		}
	}
	return true
}

// copyRow copies a previous row into a new one, remapping columns when the
// universes differ.
func (rc *rowCopier) copyRow(dst, src graph.Set) {
	if rc.same {
		dst.CopyFrom(src)
		return
	}
	dst.Clear()
	for j, o := range rc.oldRow {
		if src.Has(o) {
			dst.Add(j)
		}
	}
}

// change is a policy that was added, removed or modified.
type change struct {
	pol *policy.Lowered
	// isolates is true when the policy sits in a tier whose default action
	// denies: being selected by it changes every port atom.
	isolates bool
}

// changedPolicies lists the policies that differ between two programs. ok
// is false when the tiers themselves differ (names, default actions, or the
// relative order of unchanged policies), which Update does not handle.
func changedPolicies(a, b *policy.Program) ([]change, bool) {
	if len(a.Tiers) != len(b.Tiers) {
		return nil, false
	}
	var out []change
	for t := range a.Tiers {
		ta, tb := a.Tiers[t], b.Tiers[t]
		if ta.Name != tb.Name || ta.DefaultAction != tb.DefaultAction {
			return nil, false
		}
		isolates := ta.DefaultAction != policy.ActionPass
		inA := map[string]*policy.Lowered{}
		for _, p := range ta.Policies {
			inA[p.Ref.Key()] = p
		}
		inB := map[string]*policy.Lowered{}
		for _, p := range tb.Policies {
			inB[p.Ref.Key()] = p
		}
		var keptA, keptB []string
		for _, p := range ta.Policies {
			q, ok := inB[p.Ref.Key()]
			switch {
			case !ok:
				out = append(out, change{p, isolates})
			case !reflect.DeepEqual(p, q):
				out = append(out, change{p, isolates}, change{q, isolates})
			default:
				keptA = append(keptA, p.Ref.Key())
			}
		}
		for _, q := range tb.Policies {
			p, ok := inA[q.Ref.Key()]
			switch {
			case !ok:
				out = append(out, change{q, isolates})
			case reflect.DeepEqual(p, q):
				keptB = append(keptB, q.Ref.Key())
			}
		}
		if !slices.Equal(keptA, keptB) {
			return nil, false // unchanged policies moved relative to each other
		}
	}
	return out, true
}

// canMatchAtom reports whether some rule of the policy can match a flow on
// the port atom (by protocol and destination port).
func canMatchAtom(p *policy.Lowered, at PortAtom) bool {
	for d := range p.Rules {
		for i := range p.Rules[d] {
			r := &p.Rules[d][i]
			if r.Protocol != policy.AnyProtocol && r.Protocol != at.Protocol {
				continue
			}
			if r.NotProtocol != policy.AnyProtocol && r.NotProtocol == at.Protocol {
				continue
			}
			if r.Dst.Ports == nil {
				return true
			}
			for _, pm := range r.Dst.Ports {
				if pm.Name != "" || numericCovers(pm, at) {
					return true
				}
			}
		}
	}
	return false
}

// sameInventory reports whether two snapshots have the same endpoints,
// namespaces, services, service accounts, network sets and nodes (what
// classes and identities depend on).
func sameInventory(a, b *policy.Snapshot) bool {
	if len(a.Endpoints) != len(b.Endpoints) {
		return false
	}
	for i := range a.Endpoints {
		if a.Endpoints[i] != b.Endpoints[i] && !reflect.DeepEqual(a.Endpoints[i], b.Endpoints[i]) {
			return false
		}
	}
	return reflect.DeepEqual(a.Namespaces, b.Namespaces) &&
		reflect.DeepEqual(a.Services, b.Services) &&
		reflect.DeepEqual(a.ServiceAccounts, b.ServiceAccounts) &&
		reflect.DeepEqual(a.Calico.NetworkSets, b.Calico.NetworkSets) &&
		reflect.DeepEqual(a.Nodes, b.Nodes)
}
