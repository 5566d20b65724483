package reachability

import (
	"context"
	"reflect"
	"slices"

	"github.com/netreach/netreach/graph"
	"github.com/netreach/netreach/policy"
)

// Update computes the matrix of s, a new version of prev's snapshot in
// which only policies changed. It re-evaluates only the rows that the
// changed policies can affect — the egress and ingress rows of the classes
// they select (before or after the change), for every port atom group —
// and copies every other row from prev, remapping columns when the change
// cut new address or port atoms. prev must have been computed with
// Options.KeepSides (the result keeps its sides too). The result is
// exactly what Compute(ctx, s, prev.Options()) returns; when the inventory
// differs (endpoints, namespaces, services, service accounts, network sets
// or nodes) or the tiers were reordered, Update computes from scratch.
// Stats().RowsCopied tells how much was reused.
func Update(ctx context.Context, prev *Matrix, s *policy.Snapshot) (*Matrix, error) {
	opts := prev.opts
	opts.KeepSides = true
	e, m := build(s, opts, prev)
	var src bundleSource
	if rc := newRowCopier(prev, e, m); rc != nil {
		src = rc
	}
	if err := e.run(ctx, m, src); err != nil {
		return nil, err
	}
	return m, nil
}

// rowCopier copies unaffected row bundles of the previous matrix into the
// new one.
type rowCopier struct {
	prev *Matrix
	e    *engine
	// affected[d] holds the subject classes whose direction-d rows must be
	// evaluated.
	affected [2]graph.Set
	// oldAtom maps a new port atom to the previous one holding it.
	oldAtom []int
	// oldRow maps each new universe entry (row or column) to the previous
	// one; same is true when the two universes are identical.
	oldRow []int
	same   bool
}

// newRowCopier compares the previous matrix with the new engine (built
// against it) and returns nil when rows cannot be reused.
func newRowCopier(prev *Matrix, e *engine, m *Matrix) *rowCopier {
	if prev.sides == nil || prev.mode != m.mode || !e.sameInventory {
		return nil
	}
	if e.hostOwn != nil {
		// Host endpoints: Felix settings and forwarded traffic reach rows
		// no changed subject names (docs/calico-host-endpoints.md §5, §7).
		return nil
	}
	if !sameMeshLayer(prev, m) {
		return nil
	}
	changed, ok := changedPolicies(prev.prog, e.prog)
	if !ok {
		return nil
	}
	rc := &rowCopier{prev: prev, e: e}
	for d := range rc.affected {
		rc.affected[d] = graph.NewSet(e.u.nU)
	}
	for _, ch := range changed {
		sub := e.comp.subject(&ch.Subject)
		for d := range rc.affected {
			if ch.Applies[d] {
				rc.affected[d].Or(sub)
			}
		}
	}
	rc.oldAtom = make([]int, len(e.ports))
	for a, at := range e.ports {
		rc.oldAtom[a] = prev.PortAtomIndex(at.Protocol, at.Lo)
		if rc.oldAtom[a] < 0 {
			return nil // a protocol the previous matrix had no atom for
		}
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
	rc.same = e.u.nU == prev.u.nU
	for i, o := range rc.oldRow {
		if o != i {
			rc.same = false
			break
		}
	}
	return rc
}

// copy rebuilds the bundle of (direction d, class s) from the previous
// matrix when no changed policy selects s in direction d.
func (rc *rowCopier) copy(d policy.Direction, s int, sides *sideSet) (sideRows, bool) {
	if rc.affected[d].Has(s) {
		return sideRows{}, false
	}
	ps := rc.prev.sides
	os := rc.oldRow[s]
	old := ps.rows[d][os]
	if !old.present {
		return sideRows{}, false
	}
	oldBase, oldBasePos, base, basePos := ps.in, ps.inPos, sides.in, sides.inPos
	if d == policy.Egress {
		oldBase, oldBasePos, base, basePos = ps.eg, ps.egPos, sides.eg, sides.egPos
	}
	oldGroup := func(a int) int {
		if old.group == nil {
			return 0
		}
		return int(old.group[rc.oldAtom[a]])
	}
	// Renumber the previous groups so that the new base atom's is 0.
	nA := len(rc.e.ports)
	order := []int{oldGroup(rc.e.base)}
	index := map[int]uint16{order[0]: 0}
	group := make([]uint16, nA)
	for a := 0; a < nA; a++ {
		g := oldGroup(a)
		k, ok := index[g]
		if !ok {
			k = uint16(len(order))
			index[g] = k
			order = append(order, g)
		}
		group[a] = k
	}
	out := sideRows{present: true}
	if len(order) > 1 {
		out.group = group
		out.def = make([]graph.Set, len(order)-1)
		if basePos != nil {
			out.pos = make([]graph.Set, len(order)-1)
		}
	}
	for ng, og := range order {
		srcDef := oldBase.Row(os)
		if og > 0 {
			srcDef = old.def[og-1]
		}
		// Without conditional rules before, the definite rows are the
		// possible rows.
		srcPos := srcDef
		if oldBasePos != nil {
			srcPos = oldBasePos.Row(os)
			if og > 0 {
				srcPos = old.pos[og-1]
			}
		}
		var dstDef, dstPos graph.Set
		if ng == 0 {
			dstDef = base.Row(s)
			if basePos != nil {
				dstPos = basePos.Row(s)
			}
		} else {
			dstDef = graph.NewSet(rc.e.u.nU)
			out.def[ng-1] = dstDef
			if basePos != nil {
				dstPos = graph.NewSet(rc.e.u.nU)
				out.pos[ng-1] = dstPos
			}
		}
		rc.copyRow(dstDef, srcDef)
		if dstPos != nil {
			rc.copyRow(dstPos, srcPos)
		}
	}
	return out, true
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

// changedPolicies lists the policies that differ between two programs. ok
// is false when the tiers themselves differ (names, default actions, or the
// relative order of unchanged policies), which Update does not handle.
func changedPolicies(a, b *policy.Program) ([]*policy.Lowered, bool) {
	if len(a.Tiers) != len(b.Tiers) {
		return nil, false
	}
	var out []*policy.Lowered
	for t := range a.Tiers {
		ta, tb := a.Tiers[t], b.Tiers[t]
		if ta.Name != tb.Name || ta.DefaultAction != tb.DefaultAction {
			return nil, false
		}
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
				out = append(out, p)
			case !reflect.DeepEqual(p, q):
				out = append(out, p, q)
			default:
				keptA = append(keptA, p.Ref.Key())
			}
		}
		for _, q := range tb.Policies {
			p, ok := inA[q.Ref.Key()]
			switch {
			case !ok:
				out = append(out, q)
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
