package reachability

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/bitrow"
	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/selector"
)

// Update computes the matrix of next, a new version of prev's snapshot:
// the result is exactly what Compute(ctx, next, prev.Options()) returns
// (ComputeWith with prev's layer, when prev has derived entries: they are
// derived again from the new verdicts), and it keeps its sides
// (Options.KeepSides) for the next Update.
//
// Update compares next with prev's snapshot object by object and redoes
// only what the differences reach:
//
//   - a policy added, changed or removed: the rows of the classes it
//     selects (before or after), in the directions it applies to;
//   - a pod added, removed or changed: nothing when it joins or leaves a
//     class that exists before and after; otherwise the rows of its new
//     class, and that class's column in every other row;
//   - a namespace's labels (or a service account's, in Calico mode): the
//     rows of its classes and their columns, and those of the classes
//     whose address lies in one of its network sets;
//   - a Service or a Node's labels: the policies whose lowering reads them.
//
// Lowered policies, compiled selectors, external atoms and every row the
// change does not reach are shared with prev. Classes keep their numbers:
// one that goes leaves a hole, a new one fills a hole (see holes.go), so
// kept rows are not renumbered. When no hole is free, when holes exceed a
// quarter of the classes, or when external atoms are cut anew, the kept
// rows are renumbered to the new universe (Stats().Update.Remapped, and
// Renumbered says why the classes were numbered anew): a pass over the
// stored rows, still without evaluating them. Update is
// fastest when next shares its unchanged objects with prev's snapshot, as
// [policy.Snapshot.Apply] does: objects that are equal but not the same
// are compared in depth.
//
// Some changes are computed from scratch: when prev was computed without
// Options.KeepSides, when the resolved mode changes, and for changes to
// Calico tiers, network sets, nodes' addresses, or the address families
// in use, and whenever Calico host endpoints or pods placed in IP pools
// (without an address) are in use, before or after. The result's Stats().Update says whether the update was
// incremental, and if not, why (a stable [FullReason]).
//
// prev is only read: it stays valid, and several updates of the same
// matrix may run at once.
func Update(ctx context.Context, prev *Matrix, next *policy.Snapshot) (*Matrix, error) {
	switch {
	case prev == nil:
		return nil, errors.New("reachability.Update: no previous matrix")
	case next == nil:
		return nil, errors.New("reachability.Update: no snapshot")
	}
	if err := next.Check(); err != nil {
		return nil, err
	}
	t0 := time.Now()
	opts := prev.opts
	opts.KeepSides = true
	if prev.engine == nil {
		return full(ctx, prev, next, opts, ReasonNoSides, "the previous matrix was computed without Options.KeepSides", t0)
	}
	if prev.layer != nil {
		// The layer may cut the ports elsewhere now (a Service's port
		// changed, say); plan compares the cuts with the previous ones.
		opts.portCuts = prev.layer.PortCuts(next)
	}
	u := &updater{prev: prev, pe: prev.engine, opts: opts}
	reason, detail, err := u.plan(ctx, next)
	if err != nil {
		return nil, err
	}
	if reason != "" {
		return full(ctx, prev, next, opts, reason, detail, t0)
	}
	m, err := u.apply(ctx)
	if err != nil {
		return nil, err
	}
	if err := derive(ctx, m, prev.layer); err != nil {
		return nil, err
	}
	m.stats.Update.Time = time.Since(t0)
	return m, nil
}

// full computes the matrix from scratch for Update, with prev's derived
// layer if it has one, and says why.
func full(ctx context.Context, prev *Matrix, s *policy.Snapshot, opts Options, reason FullReason, detail string, t0 time.Time) (*Matrix, error) {
	m, err := ComputeWith(ctx, s, opts, prev.layer)
	if err != nil {
		return nil, err
	}
	m.stats.Update = UpdateStats{Full: true, Reason: reason, Detail: detail, Holes: m.stats.Update.Holes, Time: time.Since(t0)}
	if reason == ReasonMesh {
		m.diags = append(m.diags, policy.Diagnostic{Severity: policy.Info,
			Msg: "update: the service-mesh objects (AuthorizationPolicy, PeerAuthentication) or the mesh mode changed, so every row was computed again"})
	}
	return m, nil
}

// UpdateStats says how [Update] produced a matrix. Its zero value is that
// of a matrix that [Compute] made.
type UpdateStats struct {
	// Full is true when Update computed the matrix from scratch; Reason
	// says why, Detail gives the particulars in words.
	Full   bool
	Reason FullReason
	Detail string
	// Policies, Endpoints, Namespaces, ServiceAccounts, Services and
	// Nodes count the objects of each kind added, removed or modified
	// (policies as lowered; namespaces and service accounts whose labels
	// changed).
	Policies, Endpoints, Namespaces, ServiceAccounts, Services, Nodes int
	// ClassesAdded and ClassesRemoved count the endpoint classes that
	// appeared and disappeared; ColumnsEvaluated the classes whose column
	// was evaluated again in every row (new classes, classes of relabelled
	// namespaces).
	ClassesAdded, ClassesRemoved, ColumnsEvaluated int
	// Remapped is true when the universe (classes or external atoms)
	// changed shape, so that every kept row was renumbered: when classes
	// were numbered anew (Renumbered), external atoms cut anew, or class
	// slots appended because no hole was free.
	Remapped bool
	// Renumbered says why the classes were numbered anew, as Compute
	// numbers them; it is empty when they kept their numbers: a class that
	// appears then fills a hole, one that disappears leaves one.
	Renumbered RenumberReason
	// Holes is the number of empty class slots the matrix keeps (see
	// [Matrix.NumClasses]).
	Holes int
	// Time is the wall time of the whole Update.
	Time time.Duration
}

// FullReason is why [Update] computed a matrix from scratch. The values
// are stable strings, fit for logs and metrics.
type FullReason string

// Reasons for a full computation.
const (
	// ReasonNoSides: the previous matrix was computed without
	// Options.KeepSides, so there is nothing to update. The result keeps
	// its sides: the next Update is incremental.
	ReasonNoSides FullReason = "no-sides"
	// ReasonMode: the resolved mode changed (in auto mode, the first
	// Calico object appeared or the last one went).
	ReasonMode FullReason = "mode"
	// ReasonTiers: Calico tiers were added, removed, reordered or given
	// another default action, or policies that did not change moved
	// relative to each other.
	ReasonTiers FullReason = "tiers"
	// ReasonNetworkSets: Calico (Global)NetworkSets changed.
	ReasonNetworkSets FullReason = "network-sets"
	// ReasonNodes: nodes were added or removed or their addresses changed,
	// or host-network endpoints appeared or went (labels alone are
	// incremental).
	ReasonNodes FullReason = "nodes"
	// ReasonAddressFamily: IPv6 came into use or went out of use.
	ReasonAddressFamily FullReason = "address-family"
	// ReasonMesh: the service-mesh objects (AuthorizationPolicy,
	// PeerAuthentication) or the mesh mode changed.
	ReasonMesh FullReason = "mesh"
	// ReasonHostEndpoints: Calico host endpoints are in use (calico mode),
	// before or after: Felix settings and forwarded traffic reach rows that
	// no changed policy selects.
	ReasonHostEndpoints FullReason = "host-endpoints"
	// ReasonPools: pods without an address are placed in IP pools, before
	// or after, and evaluated per pool variant.
	ReasonPools FullReason = "pools"
)

// updater carries one Update from plan to the new matrix.
type updater struct {
	prev *Matrix
	pe   *engine // prev's engine
	opts Options
	st   Stats

	next    *policy.Snapshot // next, as given
	snap    *policy.Snapshot // next, staged view applied
	mode    policy.Mode
	diags   policy.Diagnostics
	prog    *policy.Program
	changed []policyChange
	// relowered maps policies lowered again to an equal policy to the
	// previous one.
	relowered map[*policy.Lowered]*policy.Lowered
	oldIdx    map[*policy.Lowered]int // see oldIndex
	inv       *inventoryChanges
	facts     endpointFacts // of snap's endpoints

	e       *engine
	classOf []int
	// parent[c] is the class of the previous universe whose rows and
	// column new class c inherits (-1: none, the class is new); children
	// is the inverse.
	parent   []int
	children [][]int
	// colMap maps each new universe entry to the previous one it inherits
	// its column from (-1: none); identity is true when the universes are
	// the same.
	colMap   []int
	identity bool
	rm       *remapper // renumbers rows, when the universes differ
	// reclassed lists the slots that new classes took, when classes keep
	// their numbers (see stableClasses).
	reclassed []int
	// vanished lists the classes that lost their last member, when classes
	// keep their numbers.
	vanished []int
	// holesRead is true when the new classes that filled holes read, to
	// the rows, as the holes' previous classes did but for the compiled
	// sets (see filledAlike).
	holesRead bool
	// namesMoved are the container port names whose named sets changed at
	// the filled holes; namedPolicies[p] is true when policy p has an
	// egress rule naming one of them.
	namesMoved    map[string]bool
	namedPolicies []bool
	// unchanged is true when nothing the engine reads changed.
	unchanged bool
	// meshOn is true when the service-mesh layer takes part (the same
	// before and after).
	meshOn bool
	// atomMap maps each new port atom to the previous atom holding it.
	atomMap    []int
	portsMoved bool
	// dirty[d] are the classes whose direction-d rows are evaluated again;
	// cols the classes whose column is.
	dirty [2]graph.Set
	cols  graph.Set
	// touched holds the compiled sets (by their first word) whose bits for
	// cols changed; peersMoved[d][p] is true when policy p has a rule whose
	// peers in direction d are such a set.
	touched    map[*uint64]bool
	peersMoved [2][]bool
}

// policyChange is a policy added (old nil), removed (new nil) or
// modified.
type policyChange struct{ old, new *policy.Lowered }

// plan works out what changed and prepares the new engine; it returns a
// reason when the matrix must be computed from scratch, and ctx's error
// when ctx is cancelled.
func (u *updater) plan(ctx context.Context, next *policy.Snapshot) (FullReason, string, error) {
	t0 := time.Now()
	pe, prev := u.pe, u.prev
	u.mode = u.opts.Mode.Resolve(next)
	if u.mode != prev.mode {
		return ReasonMode, fmt.Sprintf("mode %s, was %s", u.mode, prev.mode), nil
	}
	if u.mode == policy.ModeCalico && (next.HasHostEndpoints() || pe.facts.host > 0) {
		// Host endpoints: Felix settings and forwarded traffic reach rows
		// no changed subject names (docs/calico-host-endpoints.md §5, §7).
		return ReasonHostEndpoints, "Calico host endpoints are in use", nil
	}
	// The inventory is compared first: the endpoints' facts follow from
	// the previous ones and the endpoints that changed.
	u.next = next
	u.snap, u.diags = next.WithStagedView(u.opts.Staged)
	u.inv = diffInventory(prev.snap, u.snap)
	u.facts = pe.facts.update(prev.snap, u.snap, u.inv)
	if u.facts.pooled > 0 || pe.facts.pooled > 0 {
		// Pods without an address are evaluated per pool variant (see
		// pool.go), which the incremental path does not do.
		return ReasonPools, "pods without an address are placed in IP pools", nil
	}
	if meshOn := u.opts.Mesh.Resolve(next) == MeshIstio; meshOn || prev.meshMode == MeshIstio {
		if !meshOn || prev.meshMode != MeshIstio || !reflect.DeepEqual(prev.snap.Mesh, next.Mesh) {
			return ReasonMesh, "the service-mesh objects (AuthorizationPolicy, PeerAuthentication) or the mesh mode changed", nil
		}
		u.meshOn = true
	}
	var lowerDiags policy.Diagnostics
	var err error
	if u.prog, lowerDiags, err = policy.LowerContext(ctx, u.snap, lowerOptions(u.opts, u.mode, prev.prog)); err != nil {
		return "", "", err
	}
	u.diags = append(u.diags, lowerDiags...)
	var ok bool
	if u.changed, u.relowered, ok = changedPolicies(prev.prog, u.prog); !ok {
		return ReasonTiers, "the tiers or the order of unchanged policies differ", nil
	}
	if !reflect.DeepEqual(prev.prog.NetworkSets, u.prog.NetworkSets) {
		return ReasonNetworkSets, "network sets differ", nil
	}
	u.st.Lower = time.Since(t0)
	if err := ctx.Err(); err != nil {
		return "", "", err
	}

	t0 = time.Now()
	if nodesDiffer(prev.snap, u.snap) {
		return ReasonNodes, "nodes were added or removed, or their addresses changed", nil
	}
	cutsMoved := !slices.Equal(u.opts.portCuts, prev.opts.portCuts)
	if len(u.changed) == 0 && u.inv.endpoints == 0 && len(u.inv.namespaces) == 0 && (len(u.inv.serviceAccounts) == 0 || !pe.sig.sa) && !cutsMoved {
		// Nothing the engine reads changed (a Service or a node's labels
		// that no policy reads, say): it is kept, with the new program.
		e := *pe
		e.prog, e.facts = u.prog, u.facts
		e.lowered = make([]*policy.Lowered, 0, len(pe.lowered))
		for _, t := range u.prog.Tiers {
			e.lowered = append(e.lowered, t.Policies...)
		}
		u.e, u.unchanged = &e, true
		u.classOf = prev.classOf
		u.st.Update.Services, u.st.Update.Nodes = u.inv.services, u.inv.nodes
		u.st.Update.ServiceAccounts = len(u.inv.serviceAccounts)
		u.st.Classify = time.Since(t0)
		return "", "", nil
	}
	e := &engine{opts: u.opts, prog: u.prog, facts: u.facts}
	u.e = e
	e.tally, e.footprints = u.tally()
	var extra []netipx.IPRange
	if u.meshOn {
		e.mesh = newMeshLayer(u.snap, u.opts)
		extra = e.mesh.ranges()
	}
	e.u.atoms = e.tally.atoms(u.prog, u.snap, extra, &u.facts)
	if hasIPv6Atoms(e.u.atoms) != hasIPv6Atoms(pe.u.atoms) {
		return ReasonAddressFamily, "IPv6 came into use or went out of use", nil
	}
	e.sig = signature(e.tally, u.snap, &u.facts)
	if e.mesh != nil {
		e.mesh.extendSignature(&e.sig)
	}
	if e.sig.node != pe.sig.node {
		return ReasonNodes, "host-network endpoints or nodes appeared or went", nil
	}
	if err := u.classify(ctx); err != nil {
		return "", "", err
	}
	if u.identity && e.tally.samePorts(pe.tally) && !cutsMoved && u.sameNamedCuts() {
		e.ports = pe.ports
	} else {
		e.ports = e.tally.portAtoms(u.mode, e.u.classes, u.opts.portCuts)
		if e.mesh != nil {
			e.ports = cutPorts(e.ports, e.mesh.model.CutPorts())
		}
	}
	u.mapPorts()
	u.st.Classify = time.Since(t0)

	t0 = time.Now()
	if err := u.markDirty(ctx); err != nil {
		return "", "", err
	}
	if len(u.changed) == 0 && u.identity && u.cols.IsEmpty() && !u.portsMoved {
		// Pods joined or left classes that stay: the compiled engine is
		// kept, with the new classes' representatives.
		ne := *pe
		ne.u, ne.keys, ne.prog, ne.facts = e.u, e.keys, u.prog, u.facts
		ne.lowered = make([]*policy.Lowered, 0, len(pe.lowered))
		for _, t := range u.prog.Tiers {
			ne.lowered = append(ne.lowered, t.Policies...)
		}
		u.e, u.unchanged = &ne, true
		u.st.Classify = time.Since(t0)
		return "", "", nil
	}
	if u.identity {
		// The same classes: only the namespace and service-account labels
		// of the re-evaluated ones may read differently.
		e.comp = pe.comp.fork(&e.u, u.snap, u.prog)
		e.comp.reclass(u.reclassed, pe.u.classes)
		e.comp.relabel(u.cols)
		if e.comp.v6 != pe.v6 {
			return ReasonAddressFamily, "IPv6 flows became possible", nil
		}
		if sameKeys(e.tally.dstNames, pe.tally.dstNames) && len(u.reclassed) == 0 {
			e.named = pe.named
		}
	} else {
		e.comp = newCompiler(&e.u, u.snap, u.prog)
		if e.comp.v6 != pe.v6 {
			return ReasonAddressFamily, "IPv6 flows became possible or impossible", nil
		}
	}
	if err := u.compile(ctx); err != nil {
		return "", "", err
	}
	e.footprints = nil
	if u.identity {
		e.v6, e.famCols, e.ownNode = pe.v6, pe.famCols, pe.ownNode
		e.comp.reset()
		if len(u.reclassed) > 0 {
			e.buildFamilyColumns()
			e.buildOwnNode(u.snap)
		}
	} else {
		e.finish(u.snap)
	}
	if e.mesh != nil {
		e.mesh.compile(e)
		e.cond = e.cond || e.mesh.cond
	}
	u.st.Compile = time.Since(t0)
	return "", "", nil
}

// tally returns the previous engine's tally with the footprints of the
// changed policies taken out and put in, and the footprints of the new
// ones.
func (u *updater) tally() (*tally, map[*policy.Lowered]*footprint) {
	t := u.pe.tally
	fps := map[*policy.Lowered]*footprint{}
	if len(u.changed) > 0 {
		t = t.clone()
	}
	for _, ch := range u.changed {
		if ch.old != nil {
			t.add(u.pe.policies[u.oldIndex(ch.old)].fp, -1)
		}
		if ch.new != nil {
			f := footprintOf(ch.new)
			fps[ch.new] = f
			t.add(f, 1)
		}
	}
	return t, fps
}

// oldIndex returns the index of a policy of the previous engine: by a
// scan for a few changes, through a map for many.
func (u *updater) oldIndex(l *policy.Lowered) int {
	if len(u.changed) <= 32 {
		return u.pe.indexOf(l)
	}
	if u.oldIdx == nil {
		u.oldIdx = make(map[*policy.Lowered]int, len(u.pe.lowered))
		for i, p := range u.pe.lowered {
			u.oldIdx[p] = i
		}
	}
	if i, ok := u.oldIdx[l]; ok {
		return i
	}
	return -1
}

// hasIPv6Atoms reports whether the atoms cut the IPv6 space (they come
// after the IPv4 ones).
func hasIPv6Atoms(atoms []ExternalAtom) bool {
	return len(atoms) > 0 && atoms[len(atoms)-1].Family() == 6
}

// classify builds the new classes. When the atoms and the class signature
// are the same, unchanged endpoints stay in their classes and only the
// others are keyed, and classes keep their numbers (see
// [updater.stableClasses]); otherwise, or when too many holes would
// remain, every endpoint is keyed and the classes are numbered anew in the
// order of their first member, as Compute numbers them, each one
// inheriting from the previous class of one of its unchanged members. It
// returns ctx's error when ctx is cancelled.
func (u *updater) classify(ctx context.Context) error {
	pe, e, s := u.pe, u.e, u.snap
	eps := s.Endpoints
	oldClassOf := u.prev.classOf
	sameKeys := slices.Equal(e.u.atoms, pe.u.atoms) && e.sig.equal(pe.sig)
	if sameKeys && u.inv.endpoints == 0 {
		// Nothing that classes depend on changed: the classes stay.
		e.u = pe.u
		e.keys = pe.keys
		u.classOf = oldClassOf
		u.parent = seq(pe.u.nC)
		u.children = make([][]int, pe.u.nC)
		for c := range u.children {
			u.children[c] = u.parent[c : c+1 : c+1]
		}
		u.colMap = seq(pe.u.nU)
		u.identity = true
		return nil
	}
	kr := newClassKeyer(e.u.atoms, e.sig)
	var oldIndex map[string]int
	if sameKeys {
		oldIndex = pe.keys.index()
	}
	// tag identifies an endpoint's class: a previous class (≥ 0) or a new
	// key (< 0).
	newKeys := map[string]int{}
	var newKeyList []string
	tags := make([]int, len(eps))
	for i, ep := range eps {
		if err := cancelledAt(ctx, i); err != nil {
			return err
		}
		if o := u.inv.oldEndpoint[i]; o >= 0 && sameKeys {
			tags[i] = oldClassOf[o]
			continue
		}
		key, _, _, _ := kr.key(ep)
		if sameKeys {
			if c, ok := oldIndex[string(key)]; ok {
				tags[i] = c
				continue
			}
		}
		k, ok := newKeys[string(key)]
		if !ok {
			k = len(newKeyList)
			newKeys[string(key)] = k
			newKeyList = append(newKeyList, string(key))
		}
		tags[i] = -1 - k
	}
	if !sameKeys {
		u.st.Update.Renumbered = RenumberKeys
	} else if u.stableClasses(kr, tags, newKeyList) {
		u.finishClasses()
		return nil
	}
	// Number the classes by first member.
	byOld := make([]int, pe.u.nC)
	for i := range byOld {
		byOld[i] = -1
	}
	byNew := make([]int, len(newKeyList))
	for i := range byNew {
		byNew[i] = -1
	}
	u.classOf = make([]int, len(eps))
	classes := make([]class, 0, pe.u.nC+len(newKeyList))
	keys := make([]string, 0, cap(classes))
	u.parent = make([]int, 0, cap(classes))
	for i, ep := range eps {
		if err := cancelledAt(ctx, i); err != nil {
			return err
		}
		var slot *int
		if tg := tags[i]; tg >= 0 {
			slot = &byOld[tg]
		} else {
			slot = &byNew[-1-tg]
		}
		if *slot < 0 {
			*slot = len(classes)
			if tg := tags[i]; tg >= 0 {
				// The same key: the previous class's attributes are right.
				cl := pe.u.classes[tg]
				classes = append(classes, class{rep: ep, atom: cl.atom, v4: cl.v4, host: cl.host})
				keys = append(keys, pe.keys.list[tg])
			} else {
				_, a4, a6, _ := kr.key(ep)
				classes = append(classes, class{rep: ep, atom: [2]int{a4, a6}, v4: v4Capable(ep), host: ep.HostNetwork})
				keys = append(keys, newKeyList[-1-tg])
			}
			u.parent = append(u.parent, -1)
		}
		c := *slot
		u.classOf[i] = c
		// A class inherits from the previous class of an unchanged member:
		// the previous rules could not tell its members apart.
		if u.parent[c] < 0 {
			if o := u.inv.oldEndpoint[i]; o >= 0 {
				u.parent[c] = oldClassOf[o]
			}
		}
	}
	e.u.classes, e.keys = classes, &classKeys{list: keys}
	e.u.nC = len(classes)
	e.u.nU = e.u.nC + len(e.u.atoms)
	u.children = make([][]int, pe.u.nC)
	for c, p := range u.parent {
		if p >= 0 {
			u.children[p] = append(u.children[p], c)
		}
	}
	// The column map: classes through their parents, atoms through the
	// previous atom holding their first address.
	u.colMap = make([]int, e.u.nU)
	copy(u.colMap, u.parent)
	u.finishClasses()
	if sameKeys && len(newKeyList) == 0 && e.u.nC == pe.u.nC && slices.Equal(u.colMap[:e.u.nC], seq(e.u.nC)) {
		e.keys = pe.keys // the same classes: the same keys and index
	}
	for _, p := range u.parent {
		if p < 0 {
			u.st.Update.ClassesAdded++
		}
	}
	inherited := make([]bool, pe.u.nC)
	for _, p := range u.parent {
		if p >= 0 {
			inherited[p] = true
		}
	}
	for c, ok := range inherited {
		if !ok && !pe.u.classes[c].hole {
			u.st.Update.ClassesRemoved++
		}
	}
	return nil
}

// finishClasses maps the new atoms' columns onto the previous ones
// (through the previous atom holding their first address) in u.colMap,
// whose class entries are set, and prepares the renumbering when the
// universes differ.
func (u *updater) finishClasses() {
	pe, e := u.pe, u.e
	for k, at := range e.u.atoms {
		u.colMap[e.u.nC+k] = pe.u.nC + atomOf(pe.u.atoms, at.Range.From())
	}
	u.identity = e.u.nU == pe.u.nU
	for i, o := range u.colMap {
		if o != i {
			u.identity = false
			break
		}
	}
	u.st.Update.Remapped = !u.identity
	if !u.identity {
		u.rm = newRemapper(u.colMap, u.prev.t.codec, bitrow.NewCodec(e.u.nU))
	}
}

// classKeys are the keys classes were built under (see [classKeyer]),
// with the map back from keys to classes, built on first use. They are
// immutable, shared by the engines of updates that keep the classes.
type classKeys struct {
	list  []string
	once  sync.Once
	byKey map[string]int
}

// index returns the map from class keys to classes.
func (k *classKeys) index() map[string]int {
	k.once.Do(func() {
		k.byKey = make(map[string]int, len(k.list))
		for c, key := range k.list {
			if key != "" { // a hole
				k.byKey[key] = c
			}
		}
	})
	return k.byKey
}

// mapPorts maps the new port atoms onto the previous ones and picks the
// base atom: the canonical one when it holds the previous base, else the
// atom holding the previous base's first port, so that every kept row
// stays a row of the base group.
func (u *updater) mapPorts() {
	pe, e := u.pe, u.e
	u.atomMap = make([]int, len(e.ports))
	for a, at := range e.ports {
		u.atomMap[a] = u.prev.PortAtomIndex(at.Protocol, at.Lo)
	}
	u.portsMoved = !slices.Equal(e.ports, pe.ports)
	e.portsGen = pe.portsGen
	if u.portsMoved {
		e.portsGen++
	}
	e.base = baseAtom(e.ports)
	if u.atomMap[e.base] != pe.base {
		old := pe.ports[pe.base]
		for a, at := range e.ports {
			if at.Contains(old.Protocol, old.Lo) {
				e.base = a
			}
		}
	}
}

// markDirty finds the rows and columns to evaluate again. It returns
// ctx's error when ctx is cancelled.
func (u *updater) markDirty(ctx context.Context) error {
	e, nU := u.e, u.e.u.nU
	for d := range u.dirty {
		u.dirty[d] = graph.NewSet(nU)
	}
	u.cols = graph.NewSet(nU)
	mark := func(c int, col bool) {
		u.dirty[policy.Ingress].Add(c)
		u.dirty[policy.Egress].Add(c)
		if col {
			u.cols.Add(c)
		}
	}
	for c, p := range u.parent {
		if err := cancelledAt(ctx, c); err != nil {
			return err
		}
		cl := &e.u.classes[c]
		switch {
		case cl.hole:
			// Nothing reads a hole's rows or column.
		case p < 0:
			mark(c, true)
		case u.inv.namespaces[cl.rep.Namespace]:
			mark(c, true)
		case e.sig.sa && u.inv.serviceAccounts[cl.rep.Namespace+"/"+cl.rep.ServiceAccount]:
			mark(c, true)
		}
	}
	// A namespaced network set's addresses are matched through its
	// namespace's labels too [docs/semantics.md §3.5]: the atoms inside
	// it, and the pod classes whose address is inside it, whatever their
	// own namespace (see compiler.identity). Such a class may keep its
	// members and its namespace, yet enter or leave the compiled sets of
	// unchanged policies: its column and its own rows (where it is the
	// subject) are evaluated again, as for a relabelled namespace.
	for _, ns := range u.prog.NetworkSets {
		if ns.Namespace == "" || !u.inv.namespaces[ns.Namespace] {
			continue
		}
		inSet := make([]bool, len(e.u.atoms))
		for k, at := range e.u.atoms {
			if ns.Nets.Contains(at.Range.From()) {
				inSet[k] = true
				u.cols.Add(e.u.atomIndex(k))
			}
		}
		for c := range e.u.classes {
			cl := &e.u.classes[c]
			if cl.hole {
				continue
			}
			for _, a := range cl.atom {
				if a >= 0 && inSet[a] {
					mark(c, true)
				}
			}
		}
	}
	u.st.Update.ColumnsEvaluated = u.cols.Count()
	u.st.Update.Policies = len(u.changed)
	u.st.Update.Endpoints = u.inv.endpoints
	u.st.Update.Namespaces = len(u.inv.namespaces)
	u.st.Update.ServiceAccounts = len(u.inv.serviceAccounts)
	u.st.Update.Services = u.inv.services
	u.st.Update.Nodes = u.inv.nodes
	// The subjects of changed policies, before (through the classes that
	// inherit from them) and after (marked once compiled).
	for _, ch := range u.changed {
		if ch.old == nil {
			continue
		}
		k := u.oldIndex(ch.old)
		if k < 0 {
			continue
		}
		cp := &u.pe.policies[k]
		for i, s := range cp.subject {
			if err := cancelledAt(ctx, i); err != nil {
				return err
			}
			for _, c := range u.children[s] {
				for d := range u.dirty {
					if cp.applies[d] {
						u.dirty[d].Add(c)
					}
				}
			}
		}
	}
	return nil
}

// changedPolicies lists the policies that differ between two programs. ok
// is false when the tiers themselves differ (names, default actions, or the
// relative order of unchanged policies), which Update does not handle.
// Policies lowered from unchanged objects are the same pointers (see
// policy.LowerOptions.Previous), so a tier that did not change is checked
// without looking into any policy.
func changedPolicies(a, b *policy.Program) (out []policyChange, relowered map[*policy.Lowered]*policy.Lowered, ok bool) {
	if len(a.Tiers) != len(b.Tiers) {
		return nil, nil, false
	}
	relowered = map[*policy.Lowered]*policy.Lowered{}
	for t := range a.Tiers {
		ta, tb := a.Tiers[t], b.Tiers[t]
		if ta.Name != tb.Name || ta.DefaultAction != tb.DefaultAction {
			return nil, nil, false
		}
		if slices.Equal(ta.Policies, tb.Policies) {
			continue
		}
		// Policies lowered from unchanged objects are the same pointers;
		// only the others are matched by reference.
		inA := make(map[*policy.Lowered]bool, len(ta.Policies))
		for _, p := range ta.Policies {
			inA[p] = true
		}
		inB := make(map[*policy.Lowered]bool, len(tb.Policies))
		for _, q := range tb.Policies {
			inB[q] = true
		}
		gone := map[string]*policy.Lowered{}
		for _, p := range ta.Policies {
			if !inB[p] {
				gone[p.Ref.Key()] = p
			}
		}
		keptA := make([]*policy.Lowered, 0, len(ta.Policies)) // unchanged, in a's order (as b's pointers)
		for _, p := range ta.Policies {
			if inB[p] {
				keptA = append(keptA, p)
			}
		}
		keptB := make([]*policy.Lowered, 0, len(tb.Policies))
		var relowA []*policy.Lowered // a's side of the policies lowered again, equal
		for _, q := range tb.Policies {
			if inA[q] {
				keptB = append(keptB, q)
				continue
			}
			k := q.Ref.Key()
			p, ok := gone[k]
			switch {
			case !ok:
				out = append(out, policyChange{new: q})
			case reflect.DeepEqual(p, q):
				relowered[q] = p
				relowA = append(relowA, p)
				keptB = append(keptB, q)
				delete(gone, k)
			default:
				out = append(out, policyChange{old: p, new: q})
				delete(gone, k)
			}
		}
		for _, p := range ta.Policies {
			if inB[p] {
				continue
			}
			if _, ok := gone[p.Ref.Key()]; ok {
				out = append(out, policyChange{old: p})
			}
		}
		if len(relowA) > 0 {
			// Compare the order of kept policies with the relowered ones
			// in a's terms.
			back := map[*policy.Lowered]*policy.Lowered{}
			for q, p := range relowered {
				back[p] = q
			}
			keptA = keptA[:0]
			for _, p := range ta.Policies {
				if inB[p] {
					keptA = append(keptA, p)
				} else if q, ok := back[p]; ok {
					keptA = append(keptA, q)
				}
			}
		}
		if !slices.Equal(keptA, keptB) {
			return nil, nil, false // unchanged policies moved relative to each other
		}
	}
	return out, relowered, true
}

// compile compiles the new program: the policies that did not change are
// taken over from the previous engine, their bit sets renumbered to the
// new universe and the columns of cols evaluated again; the others are
// compiled afresh. Their subjects' rows become dirty. It returns ctx's
// error when ctx is cancelled.
func (u *updater) compile(ctx context.Context) error {
	e, pe := u.e, u.pe
	var mini *compiler // the classes of cols alone, for their bits
	var colList, miniOf []int
	if !u.cols.IsEmpty() {
		// The mini universe holds the classes of cols and every atom;
		// colList maps its entries that cols holds to the new universe.
		mu := &universe{atoms: e.u.atoms}
		var miniIndex []int
		for c := range u.cols.All() {
			if c < e.u.nC {
				mu.classes = append(mu.classes, e.u.classes[c])
			}
		}
		mu.nC = len(mu.classes)
		mu.nU = mu.nC + len(mu.atoms)
		k := 0
		for c := range u.cols.All() {
			colList = append(colList, c)
			if c < e.u.nC {
				miniIndex = append(miniIndex, k)
				k++
			} else {
				miniIndex = append(miniIndex, mu.nC+c-e.u.nC)
			}
		}
		miniOf = miniIndex
		mini = newCompiler(mu, u.snap, u.prog)
	}
	var rm func(graph.Set) graph.Set
	if u.rm != nil {
		rm = u.rm.set
	}
	// The namespaces of the re-evaluated classes, to skip what cannot
	// match them; none when atoms are re-evaluated too.
	var colNS map[string]bool
	if mini != nil && mini.u.nC == len(colList) {
		colNS = map[string]bool{}
		for _, c := range colList {
			colNS[e.u.classes[c].rep.Namespace] = true
		}
	}
	u.touched = map[*uint64]bool{}
	sf := &setFixer{u: u, rm: rm, mini: mini, colList: colList, miniOf: miniOf, colNS: colNS, memo: map[*uint64]graph.Set{}}
	changedNew := map[*policy.Lowered]bool{}
	for _, ch := range u.changed {
		if ch.new != nil {
			changedNew[ch.new] = true
		}
	}
	var namedMoved *bool
	cursor := 0
	oldToNew := make([]int32, len(pe.policies))
	for k := range oldToNew {
		oldToNew[k] = -1
	}
	reuse := func(p *policy.Lowered) (compiledPolicy, bool) {
		if changedNew[p] {
			return compiledPolicy{}, false
		}
		old := p
		if q, ok := u.relowered[p]; ok {
			old = q // lowered again to an equal policy
		}
		// Unchanged policies keep their relative order: the previous
		// index of each is found walking forward.
		for cursor < len(pe.lowered) && pe.lowered[cursor] != old {
			cursor++
		}
		if cursor == len(pe.lowered) {
			return compiledPolicy{}, false
		}
		k := cursor
		oldToNew[k] = int32(len(e.policies))
		cp := pe.policies[k]
		// Port codes follow the port atoms and the named ports in use.
		if namedMoved == nil {
			moved := !sameNamedKeys(e.named, pe.named)
			namedMoved = &moved
		}
		cp.fresh = u.portsMoved || *namedMoved
		if rm == nil && mini == nil && !cp.fresh {
			return cp, true
		}
		cp.subject = sf.subject(cp.subject, &p.Subject)
		for d := range cp.rules {
			cp.rules[d] = slices.Clone(cp.rules[d])
			for i := range cp.rules[d] {
				cr, r := &cp.rules[d][i], &p.Rules[d][i]
				cr.srcSet = sf.entity(e.comp, &r.Src, cr.srcAny, cr.srcSet)
				cr.dstSet = sf.entity(e.comp, &r.Dst, cr.dstAny, cr.dstSet)
			}
		}
		return cp, true
	}
	if err := e.compile(ctx, e.comp, u.prog, &u.st, reuse); err != nil {
		return err
	}
	var fresh []int32 // the changed policies, as compiled
	for _, ch := range u.changed {
		if ch.new == nil {
			continue
		}
		pi := e.indexOf(ch.new)
		fresh = append(fresh, int32(pi))
		cp := &e.policies[pi]
		for d := range u.dirty {
			if cp.applies[d] {
				for _, c := range cp.subject {
					u.dirty[d].Add(int(c))
				}
			}
		}
	}
	u.applicable(oldToNew, fresh)
	for d := range u.peersMoved {
		u.peersMoved[d] = make([]bool, len(e.policies))
		for pi := range e.policies {
			for _, r := range e.policies[pi].rules[d] {
				peers := r.srcSet // ingress: the sources are the peers
				if d == int(policy.Egress) {
					peers = r.dstSet
				}
				for _, set := range peers {
					if len(set) > 0 && u.touched[&set[0]] {
						u.peersMoved[d][pi] = true
					}
				}
			}
		}
	}
	return nil
}

// columnsMoved reports whether the re-evaluated columns can read
// differently in the direction-d rows of class s: some new class needs its
// bits, or a policy that applies has peers whose bits for them changed.
func (u *updater) columnsMoved(d policy.Direction, s int) bool {
	if u.st.Update.ClassesAdded > 0 && !u.holesRead || !u.identity || d == policy.Ingress && u.e.mesh.applies(s) {
		return true
	}
	for _, pi := range u.e.applicable[d][s] {
		if u.peersMoved[d][pi] || d == policy.Egress && u.namedPolicies != nil && u.namedPolicies[pi] {
			return true
		}
	}
	return false
}

// applicable derives the lists of policies that apply to each class from
// the previous engine's: a class whose subjects may have changed (new, or
// relabelled) is listed again from every subject; one that a changed
// policy selects (before or after) has its previous list, renumbered, with
// the changed policies taken out and put back; any other class keeps its
// previous list, renumbered.
func (u *updater) applicable(oldToNew, fresh []int32) {
	e, pe := u.e, u.pe
	// The same numbering: every policy kept is where it was (a changed
	// one may take its old place; the classes it selected are dirty).
	same := len(e.policies) == len(pe.policies)
	for k, n := range oldToNew {
		if n >= 0 && n != int32(k) {
			same = false
			break
		}
	}
	for d := range e.applicable {
		if same && u.identity {
			// Only the classes a change reached need new lists.
			e.applicable[d] = slices.Clone(pe.applicable[d])
			for s := range u.dirty[d].All() {
				if s < e.u.nC && !e.u.classes[s].hole {
					e.applicable[d][s] = u.applicableTo(d, s, oldToNew, fresh)
				}
			}
			continue
		}
		e.applicable[d] = make([][]int32, e.u.nC)
		for s := range e.applicable[d] {
			if e.u.classes[s].hole {
				continue // nothing reads a hole's rows
			}
			if p := u.parent[s]; same && p >= 0 && !u.dirty[d].Has(s) {
				e.applicable[d][s] = pe.applicable[d][p]
			} else {
				e.applicable[d][s] = u.applicableTo(d, s, oldToNew, fresh)
			}
		}
	}
}

// applicableTo lists the policies that apply to class s in direction d.
func (u *updater) applicableTo(d, s int, oldToNew, fresh []int32) []int32 {
	e, pe := u.e, u.pe
	var list []int32
	p := u.parent[s]
	if p < 0 || u.cols.Has(s) {
		for pi := range e.policies {
			if cp := &e.policies[pi]; cp.applies[d] && cp.subject.Has(s) {
				list = append(list, int32(pi))
			}
		}
		return list
	}
	for _, k := range pe.applicable[d][p] {
		if n := oldToNew[k]; n >= 0 {
			list = append(list, n)
		}
	}
	for _, pi := range fresh {
		if cp := &e.policies[pi]; cp.applies[d] && cp.subject.Has(s) {
			list = append(list, pi)
		}
	}
	slices.Sort(list)
	return list
}

// setFixer adapts the compiled sets of unchanged policies to the new
// universe: a set is renumbered, then the bits of the re-evaluated columns
// are set from a compilation over the mini universe of those columns
// (colList maps its entries, miniOf their index there). Sets shared
// between rules are fixed once.
type setFixer struct {
	u               *updater
	rm              func(graph.Set) graph.Set // nil when the universes are the same
	mini            *compiler                 // nil when no column is re-evaluated
	colList, miniOf []int
	// colNS (nil when external atoms are among the columns) lists the
	// namespaces of the re-evaluated classes: a subject or peer confined
	// to another namespace matches none of them.
	colNS map[string]bool
	memo  map[*uint64]graph.Set
}

// set fixes one set; fresh is its value over the mini universe (nil: it
// matches none of the columns).
func (sf *setFixer) set(old, fresh graph.Set) graph.Set {
	if old == nil {
		return nil
	}
	if s, ok := sf.memo[&old[0]]; ok {
		return s
	}
	s := old
	if sf.rm != nil {
		s = sf.rm(old)
	}
	if sf.mini != nil {
		copied := sf.rm != nil
		for k, c := range sf.colList {
			if s.Has(c) != (fresh != nil && fresh.Has(sf.miniOf[k])) {
				if !copied {
					s = slices.Clone(s)
					copied = true
				}
				s[c>>6] ^= 1 << (uint(c) & 63)
				sf.u.touched[&s[0]] = true
			}
		}
	}
	sf.memo[&old[0]] = s
	return s
}

// entity fixes the compiled sets of an entity match: "any" sets are the
// new compiler's, others are fixed.
func (sf *setFixer) entity(c *compiler, m *policy.EntityMatch, any bool, sets [2]graph.Set) [2]graph.Set {
	if any {
		_, sets = c.entity(m)
		return sets
	}
	need := false
	for _, s := range sets {
		if s != nil {
			if _, ok := sf.memo[&s[0]]; !ok {
				need = true
			}
		}
	}
	if !need {
		for f, s := range sets {
			if s != nil {
				sets[f] = sf.memo[&s[0]]
			}
		}
		return sets
	}
	var fresh [2]graph.Set
	if sf.mini != nil && !sf.outside(m) {
		_, fresh = sf.mini.entity(m)
	}
	for f := range sets {
		sets[f] = sf.set(sets[f], fresh[f])
	}
	return sets
}

// outside reports whether no peer of m can match a re-evaluated class:
// each matches nothing, or only pods of namespaces (by name or by
// selector) none of those classes is in. A peer that can match network
// sets is never outside: it matches the pods whose address lies in one,
// whatever their namespace.
func (sf *setFixer) outside(m *policy.EntityMatch) bool {
	if sf.colNS == nil {
		return false
	}
	sets := len(sf.u.prog.NetworkSets) > 0
	for i := range m.Peers {
		p := &m.Peers[i]
		if p.Nothing {
			continue
		}
		if p.Identity == nil || sets && p.Identity.Kinds&^policy.KindPod != 0 ||
			!sf.nsOutside(p.Identity.Namespace, p.Identity.NamespaceSelector) {
			return false
		}
	}
	return true
}

// nsOutside reports whether a namespace restriction (a name, or a
// selector on namespace labels) excludes every re-evaluated class.
func (sf *setFixer) nsOutside(ns string, sel *selector.Selector) bool {
	switch {
	case ns != "":
		return !sf.colNS[ns]
	case sel == nil:
		return false
	}
	for name := range sf.colNS {
		if policy.MatchNamespaceSelector(*sel, true, sf.mini.nsLabelsOf[name]) {
			return false
		}
	}
	return true
}

// subject fixes a subject's class list: renumbered through the classes
// that inherit from each, the re-evaluated classes set afresh.
func (sf *setFixer) subject(old classList, sub *policy.Subject) classList {
	u := sf.u
	if u.identity && sf.mini == nil {
		return old
	}
	var l classList
	for _, c := range old {
		for _, n := range u.children[c] {
			if !u.cols.Has(n) {
				l = append(l, int32(n))
			}
		}
	}
	if sf.mini != nil && (sf.colNS == nil || !sf.nsOutside(sub.Namespace, sub.NamespaceSelector)) {
		f := sf.mini.subject(sub)
		for k, c := range sf.colList {
			if c < u.e.u.nC && f.Has(sf.miniOf[k]) {
				l = append(l, int32(c))
			}
		}
	}
	slices.Sort(l)
	return l
}

// seq returns 0, 1, …, n-1.
func seq(n int) []int {
	m := make([]int, n)
	for i := range m {
		m[i] = i
	}
	return m
}

// sameNamedKeys reports whether two engines resolve named ports on the
// same (name, protocol, port) combinations.
func sameNamedKeys(a, b map[namedKey]graph.Set) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}
