package reachability

import (
	"context"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netreach/netreach/graph"
	"github.com/netreach/netreach/policy"
)

// The engine works in two phases.
//
// Rows: for every policy subject class and direction, it evaluates the
// tiers for all peers at once on a bit row (Allow, Deny and Pass masks over
// the peers still undecided). A row depends on the port atom only through
// how each applicable rule treats that atom, so atoms are grouped by that
// signature and each group is evaluated once. The group of the base atom
// goes into the egress (or ingress) matrix of the base atom; other groups
// are kept as extra rows.
//
// Assembly: reach = egress(src→dst) AND ingress(dst←src). For the base
// atom that is E AND Iᵀ with a blocked transpose. Any other atom differs
// from the base only in the rows of sources whose egress group differs
// and the columns of destinations whose ingress group differs; those rows
// and columns are stored, everything else is read from the base.
//
//	         columns C_a (ingress differs)
//	         ▼     ▼
//	  ┌──────┬─────┬─────┐
//	  │ base │ col │base │
//	R_a ─────┼─────┼─────┤ ◀ full rows (egress differs)
//	  │ base │ col │base │
//	  └──────┴─────┴─────┘

// compiledRule is a rule with its peers compiled to bitsets.
type compiledRule struct {
	action           policy.Action
	cond             bool
	proto, notProto  policy.Protocol
	ipVersion        int
	skip             [2]bool
	srcAny, dstAny   bool
	srcSet, dstSet   [2]graph.Set // per family (0: IPv4, 1: IPv6) over the universe
	dstPorts, dstNot []policy.PortMatch
	// egCode[a] says how the rule treats port atom a when the subject is
	// the source (destination ports checked on the peers): codeNone,
	// codeAll, or an id of the named-port combination that applies.
	// inCode[a] is the same when the subject is the destination:
	// codeNone, codeAll, or codeSubject when it depends on the subject's
	// own named ports.
	egCode []uint32
	inCode []uint8
	// srcV and dstV, when set, hold the sets per variant index: the rule
	// tests addresses that differ between the variants of pool classes
	// (see pool.go).
	srcV, dstV [][2]graph.Set
}

// Port codes of a rule for an atom.
const (
	codeNone    = 0
	codeAll     = 1
	codeSubject = 2 // inCode: resolve on the subject
	codeNamed0  = 2 // egCode: first named-port combination id
)

type compiledPolicy struct {
	tier    int
	subject graph.Set
	applies [2]bool
	rules   [2][]compiledRule
	fresh   bool // compiled here (port codes to compute), not reused
}

type compiledTier struct {
	passByDefault bool
}

// engine holds everything the row evaluation reads; it is read-only once
// built, so workers share it.
type engine struct {
	prog     *policy.Program
	comp     *compiler
	u        universe
	ports    []PortAtom
	base     int // the base port atom
	tiers    []compiledTier
	policies []compiledPolicy
	// applicable[d][s] lists, in evaluation order, the policies that apply
	// to subject class s in direction d.
	applicable [2][][]int32
	named      map[namedKey]graph.Set // pod classes with a named container port
	// sameInventory is true when the snapshot has the inventory of the
	// previous matrix given to build (see [sameInventory]).
	sameInventory bool
	famCols       [2][2]graph.Set // [v4Capable][family]: columns whose flow with the row uses that family
	cond          bool            // some verdict can be conditional (a store of possible rows)
	ruleCond      bool            // some rule is conditional
	variants      bool            // some rule treats the variants of a pool class differently
	v6            bool            // some flow can be IPv6
	sig           classSig
	// byLowered finds the compiled policy of a lowered one, for reuse.
	byLowered map[*policy.Lowered]int
	opts      Options
	// ownNode lists, per class, the universe entries that are its own node
	// (host-network classes on the same node, node addresses).
	ownNode [][]int
	// mesh is the service-mesh layer, nil when it is off.
	mesh *meshLayer
	// hostOwn lists, per host endpoint class (nil for others), the
	// entries on the same node (see buildHostOwnNode).
	hostOwn []*hostOwnNode
	// fwd holds the forwarded-traffic checks, nil when there are none.
	fwd *forwarding
}

type namedKey struct {
	name  string
	proto policy.Protocol
	port  uint16
}

// Stats reports the size of a computation and the time of each phase.
type Stats struct {
	Endpoints, Classes, ExternalAtoms, PortAtoms int
	Policies, Rules                              int
	Lower, Classify, Compile, Rows, Transpose    time.Duration
	// RowGroups counts the distinct (class, direction, port-atom group)
	// rows kept after equal rows merged; without grouping it would be
	// classes × 2 × atoms.
	RowGroups int64
	// RowsEvaluated and RowsCopied count the (class, direction) bundles of
	// rows evaluated, and copied from a previous matrix by an update.
	RowsEvaluated, RowsCopied int64
}

// Compute builds the reachability matrix of the snapshot: for every pair
// of endpoints (and external address ranges) and every port atom, whether
// a connection can be opened. The work is done on equivalence classes of
// endpoints with bitset rows (see the README, "What is computed"). ctx cancels a long
// computation. A snapshot not built by a policy.Loader (nil, zero, or
// assembled by hand) fails with a *policy.InvalidInputError.
func Compute(ctx context.Context, s *policy.Snapshot, opts Options) (*Matrix, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	e, m := build(s, opts, nil)
	if err := e.run(ctx, m, nil); err != nil {
		return nil, err
	}
	return m, nil
}

// build lowers the snapshot and prepares the engine and an empty matrix:
// universe, classes, port atoms, compiled rules. With prev (a matrix of an
// earlier version of the snapshot, computed with KeepSides), what did not
// change is reused: lowered policies of the same objects, the classes when
// the inventory and every cut are the same, and compiled policies.
func build(s *policy.Snapshot, opts Options, prev *Matrix) (*engine, *Matrix) {
	var st Stats
	t0 := time.Now()
	mode := opts.Mode.Resolve(s)
	input := s
	s, diags := s.WithStagedView(opts.Staged)
	s, diags = withHostEndpoints(s, mode, opts, diags)
	lo := policy.LowerOptions{Mode: mode, IPBlockIgnoresPodIPs: opts.IPBlockIgnoresPodIPs, CalicoVersion: opts.CalicoVersion}
	if prev != nil && prev.mode == mode {
		lo.Previous = prev.prog
	}
	prog, lowerDiags := policy.Lower(s, lo)
	diags = append(diags, lowerDiags...)
	st.Lower = time.Since(t0)

	t0 = time.Now()
	e := &engine{opts: opts, prog: prog, mesh: newMeshLayer(s, opts)}
	v6 := false
	for _, ep := range s.Endpoints {
		if _, ok := ep.IP(6); ok {
			v6 = true
		}
	}
	ranges := collectRanges(prog, s)
	if e.mesh != nil {
		ranges = append(ranges, e.mesh.ranges()...)
	}
	e.u.atoms = externalAtoms(ranges, v6)
	sig := classSignature(prog)
	if e.mesh != nil {
		e.mesh.extendSignature(&sig)
	}
	for _, ep := range s.Endpoints {
		if ep.HostNetwork {
			sig.node = true
		}
	}
	if len(s.Nodes) > 0 || hasHostEndpoints(s) {
		sig.node = true
	}
	var classOf []int
	var reused *engine
	e.sameInventory = prev != nil && sameInventory(prev.snap, s)
	if prev != nil && prev.engine != nil && prev.mode == mode && e.sameInventory && sameClassing(prev, e.u.atoms, sig) {
		reused = prev.engine
		e.u.classes, classOf = reused.u.classes, prev.classOf
	} else {
		e.u.classes, classOf = buildClasses(s.Endpoints, e.u.atoms, sig)
	}
	e.sig = sig
	e.u.nC = len(e.u.classes)
	e.u.nU = e.u.nC + len(e.u.atoms)
	e.ports = portAtoms(prog, s.Endpoints, opts.portCuts)
	if e.mesh != nil {
		e.ports = cutPorts(e.ports, e.mesh.model.CutPorts())
	}
	e.base = baseAtom(e.ports)
	st.Classify = time.Since(t0)

	t0 = time.Now()
	if reused != nil && !slices.Equal(reused.ports, e.ports) {
		reused = nil // compiled port codes depend on the port atoms
	}
	e.comp = newCompiler(&e.u, s, prog)
	e.compile(e.comp, prog, &st, reused)
	e.v6 = e.comp.v6
	e.comp.reset()
	e.buildFamilyColumns()
	e.buildOwnNode(s)
	e.buildHostOwnNode(s)
	if e.mesh != nil {
		e.mesh.compile(e)
		e.cond = e.cond || e.mesh.cond
		diags = append(diags, e.mesh.model.Diagnostics()...)
	}
	st.Compile = time.Since(t0)
	st.Endpoints, st.Classes, st.ExternalAtoms, st.PortAtoms = len(s.Endpoints), e.u.nC, len(e.u.atoms), len(e.ports)

	m := &Matrix{
		snap: s, opts: opts, mode: mode, u: e.u, classOf: classOf, ports: e.ports,
		diags: diags, stats: st, prog: prog, meshMode: MeshOff, input: input,
	}
	if e.mesh != nil {
		m.meshMode, m.meshModel = MeshIstio, e.mesh.model
	}
	if opts.KeepSides {
		m.engine = e
	}
	return e, m
}

// sameClassing reports whether the classes of prev hold for a snapshot of
// the same inventory: the same external atoms and class signature.
func sameClassing(prev *Matrix, atoms []ExternalAtom, sig classSig) bool {
	return slices.Equal(prev.u.atoms, atoms) && prev.engine.sig.equal(sig)
}

// baseAtom picks the port atom the others are stored against: the TCP
// atom spanning the most ports, which no rule singles out.
func baseAtom(ports []PortAtom) int {
	best, span := 0, -1
	for i, a := range ports {
		if a.Protocol == policy.TCP && int(a.Hi)-int(a.Lo) > span {
			best, span = i, int(a.Hi)-int(a.Lo)
		}
	}
	return best
}

// compile compiles every policy of the program. With reused (the engine of
// an earlier matrix over the very same universe), policies lowered to the
// same object are taken over as they are.
func (e *engine) compile(c *compiler, prog *policy.Program, st *Stats, reused *engine) {
	e.named = map[namedKey]graph.Set{}
	e.byLowered = map[*policy.Lowered]int{}
	names := map[string]bool{}
	for ti, t := range prog.Tiers {
		e.tiers = append(e.tiers, compiledTier{passByDefault: t.DefaultAction == policy.ActionPass})
		for _, p := range t.Policies {
			st.Policies++
			for d := range p.Rules {
				st.Rules += len(p.Rules[d])
				for _, r := range p.Rules[d] {
					for _, m := range r.Dst.Ports {
						if m.Name != "" {
							names[m.Name] = true
						}
					}
					for _, m := range r.Dst.NotPorts {
						if m.Name != "" {
							names[m.Name] = true
						}
					}
					if r.Conditional != "" {
						e.cond, e.ruleCond = true, true
					}
				}
			}
			if reused != nil {
				if k, ok := reused.byLowered[p]; ok {
					cp := reused.policies[k]
					cp.tier = ti
					e.byLowered[p] = len(e.policies)
					e.policies = append(e.policies, cp)
					continue
				}
			}
			cp := compiledPolicy{tier: ti, subject: c.subject(&p.Subject), applies: p.Applies, fresh: true}
			for d := range p.Rules {
				for i := range p.Rules[d] {
					r := &p.Rules[d][i]
					cr := compiledRule{action: r.Action, cond: r.Conditional != "", proto: r.Protocol,
						notProto: r.NotProtocol, ipVersion: r.IPVersion, skip: r.SkipFamily,
						dstPorts: r.Dst.Ports, dstNot: r.Dst.NotPorts}
					cr.srcAny, cr.srcSet = c.entity(&r.Src)
					cr.dstAny, cr.dstSet = c.entity(&r.Dst)
					cp.rules[d] = append(cp.rules[d], cr)
				}
			}
			e.byLowered[p] = len(e.policies)
			e.policies = append(e.policies, cp)
		}
	}
	for i, cl := range e.u.classes {
		if cl.host {
			continue
		}
		for _, cp := range cl.rep.Ports {
			if !names[cp.Name] {
				continue
			}
			k := namedKey{cp.Name, cp.Protocol, cp.Port}
			s := e.named[k]
			if s == nil {
				s = graph.NewSet(e.u.nU)
				e.named[k] = s
			}
			s.Add(i)
		}
	}
	// Which policies apply to which class, in evaluation order: built from
	// the subject sets once, so rows never scan policies that do not apply.
	for d := range e.applicable {
		e.applicable[d] = make([][]int32, e.u.nC)
	}
	for pi := range e.policies {
		p := &e.policies[pi]
		for s := range p.subject.All() {
			for d := range e.applicable {
				if p.applies[d] {
					e.applicable[d][s] = append(e.applicable[d][s], int32(pi))
				}
			}
		}
	}
	if e.compileVariants(c) {
		e.variants, e.cond = true, true
	}
	// The subject sets were only needed for the lists above, unless the
	// engine is kept for updates.
	if !e.opts.KeepSides {
		for pi := range e.policies {
			e.policies[pi].subject = nil
		}
	}
	e.portCodes()
}

// portCodes computes, for every rule and port atom, how the rule's
// protocol and destination ports treat the atom (see compiledRule).
func (e *engine) portCodes() {
	combos := map[string]uint32{}
	var b strings.Builder
	for pi := range e.policies {
		if !e.policies[pi].fresh {
			continue // reused with its codes (the atoms are the same)
		}
		for d := range e.policies[pi].rules {
			for ri := range e.policies[pi].rules[d] {
				r := &e.policies[pi].rules[d][ri]
				r.egCode = make([]uint32, len(e.ports))
				r.inCode = make([]uint8, len(e.ports))
				for a, at := range e.ports {
					if (r.proto != policy.AnyProtocol && r.proto != at.Protocol) ||
						(r.notProto != policy.AnyProtocol && r.notProto == at.Protocol) {
						continue // codeNone
					}
					if r.dstPorts == nil && r.dstNot == nil {
						r.egCode[a], r.inCode[a] = codeAll, codeAll
						continue
					}
					all := r.dstPorts == nil
					b.Reset()
					for _, pm := range r.dstPorts {
						if numericCovers(pm, at) {
							all = true
						} else if e.namedSet(pm, at) != nil {
							b.WriteString("+" + pm.Name + "/" + pm.Protocol.String())
						}
					}
					plus := b.Len() > 0
					excluded := false
					for _, pm := range r.dstNot {
						if numericCovers(pm, at) {
							excluded = true
						} else if e.namedSet(pm, at) != nil {
							b.WriteString("-" + pm.Name + "/" + pm.Protocol.String())
						}
					}
					switch {
					case excluded || (!all && !plus):
						// codeNone
					case b.Len() == 0:
						r.egCode[a], r.inCode[a] = codeAll, codeAll
					default:
						// Named sets depend on the port number too: the same
						// names select other classes on another atom.
						key := strconv.FormatBool(all) + b.String() + "@" + at.String()
						id, ok := combos[key]
						if !ok {
							id = uint32(len(combos)) + codeNamed0
							combos[key] = id
						}
						r.egCode[a], r.inCode[a] = id, codeSubject
					}
				}
			}
		}
	}
}

// buildFamilyColumns computes, for a row that can (or cannot) do IPv4, the
// columns whose flow with it is IPv4 and those whose flow is IPv6.
func (e *engine) buildFamilyColumns() { e.famCols = familyColumns(&e.u) }

// familyColumns returns, for rows that can ([1]) or cannot ([0]) use IPv4,
// the columns whose flow with them uses IPv4 ([..][0]) and IPv6 ([..][1]):
// a pod-to-pod flow uses IPv4 unless one side has only IPv6 addresses; a
// flow to an atom uses the atom's family.
func familyColumns(u *universe) (cols [2][2]graph.Set) {
	v4classes := graph.NewSet(u.nU)
	for i, cl := range u.classes {
		if cl.v4 {
			v4classes.Add(i)
		}
	}
	for capable := 0; capable < 2; capable++ {
		for f := 0; f < 2; f++ {
			s := graph.NewSet(u.nU)
			switch {
			case f == 0 && capable == 1:
				s.CopyFrom(v4classes)
			case f == 1 && capable == 1:
				s.Fill(u.nC)
				s.AndNot(v4classes)
			case f == 1 && capable == 0:
				s.Fill(u.nC)
			}
			for a, at := range u.atoms {
				if at.Family() == famOf(f) {
					s.Add(u.atomIndex(a))
				}
			}
			cols[capable][f] = s
		}
	}
	return cols
}

// buildOwnNode finds, for each pod class, the entries that are its node.
func (e *engine) buildOwnNode(s *policy.Snapshot) {
	e.ownNode = make([][]int, e.u.nC)
	byNode := map[string][]int{}
	for j, h := range e.u.classes {
		if h.host && h.rep.Node != "" {
			byNode[h.rep.Node] = append(byNode[h.rep.Node], j)
		}
	}
	for j, h := range e.u.classes {
		if h.rep.Host != nil {
			byNode[h.rep.Node] = append(byNode[h.rep.Node], j) // docs/calico-host-endpoints.md §6
		}
	}
	for i, cl := range e.u.classes {
		if cl.host || cl.rep.Node == "" || cl.rep.Host != nil {
			continue
		}
		e.ownNode[i] = append(e.ownNode[i], byNode[cl.rep.Node]...)
		if n := s.Node(cl.rep.Node); n != nil {
			for _, a := range n.Addresses {
				if k := atomOf(e.u.atoms, a); k >= 0 && e.u.atoms[k].Range.From() == a && e.u.atoms[k].Range.To() == a {
					e.ownNode[i] = append(e.ownNode[i], e.u.atomIndex(k))
				}
			}
		}
	}
}

// sideRows are the rows of one (class, direction) for every port atom:
// group[a] is the atom's group; group 0 (the base atom's) lives in the
// side matrix, the others here. group is nil when every atom is in group
// 0.
type sideRows struct {
	group   []uint16
	def     []graph.Set // groups 1..n
	pos     []graph.Set // likewise, when some rule is conditional
	present bool        // the bundle was computed (subject classes only)
}

// row returns the definite (or possible) row of port atom a.
func (sr *sideRows) row(a int, base *graph.Matrix, r int, pos bool) graph.Set {
	if sr.group == nil || sr.group[a] == 0 {
		return base.Row(r)
	}
	if pos {
		return sr.pos[sr.group[a]-1]
	}
	return sr.def[sr.group[a]-1]
}

// sideSet holds both sides of every class, before assembly.
type sideSet struct {
	eg, in       *graph.Matrix // rows of the base atom's group
	egPos, inPos *graph.Matrix
	rows         [2][]sideRows // [direction][class]
}

// bundleSource supplies, for an incremental update, the bundles that need
// no evaluation: copy returns false when (class s, direction d) must be
// evaluated, and otherwise fills the base rows and returns the bundle.
type bundleSource interface {
	copy(d policy.Direction, s int, sides *sideSet) (sideRows, bool)
}

// worker holds the scratch rows of one goroutine.
type worker struct {
	e                 *engine
	undecided, passed graph.Set
	tmp, ports, alt   graph.Set
	codes             []uint32
	hashes            []uint64
	mesh              *meshScratch // allocated for the first class the mesh polices
	fwdRows           [3]graph.Set // scratch of forward, allocated on first use
}

func (e *engine) newWorker() *worker {
	n := e.u.nU
	return &worker{e: e, undecided: graph.NewSet(n), passed: graph.NewSet(n), tmp: graph.NewSet(n), ports: graph.NewSet(n), alt: graph.NewSet(n),
		hashes: make([]uint64, len(e.ports))}
}

// run evaluates the rows of every class, then assembles the matrix.
func (e *engine) run(ctx context.Context, m *Matrix, src bundleSource) error {
	workers := e.opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	nU := e.u.nU
	t0 := time.Now()
	sides := &sideSet{eg: graph.NewMatrix(nU, nU), in: graph.NewMatrix(nU, nU)}
	if e.cond {
		sides.egPos, sides.inPos = graph.NewMatrix(nU, nU), graph.NewMatrix(nU, nU)
	}
	for d := range sides.rows {
		sides.rows[d] = make([]sideRows, nU)
	}
	var next atomic.Int64
	var cancelled atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := e.newWorker()
			var copied, evaluated, groups int64
			for {
				r := int(next.Add(1) - 1)
				if r >= nU {
					break
				}
				if r%256 == 0 {
					if ctx.Err() != nil {
						cancelled.Store(true)
						break
					}
					if e.opts.Progress != nil {
						e.opts.Progress(r, nU)
					}
				}
				if r >= e.u.nC || e.u.classes[r].host { // not policy subjects
					sides.eg.Row(r).Fill(nU)
					sides.in.Row(r).Fill(nU)
					if e.cond {
						sides.egPos.Row(r).Fill(nU)
						sides.inPos.Row(r).Fill(nU)
					}
					continue
				}
				for d := policy.Ingress; d <= policy.Egress; d++ {
					if src != nil {
						if sr, ok := src.copy(d, r, sides); ok {
							sides.rows[d][r] = sr
							copied++
							continue
						}
					}
					sides.rows[d][r] = wk.bundle(d, r, sides)
					groups += int64(len(sides.rows[d][r].def)) + 1
					evaluated++
				}
			}
			atomic.AddInt64(&m.stats.RowsCopied, copied)
			atomic.AddInt64(&m.stats.RowsEvaluated, evaluated)
			atomic.AddInt64(&m.stats.RowGroups, groups)
		}()
	}
	wg.Wait()
	if cancelled.Load() {
		return ctx.Err()
	}
	m.stats.Rows = time.Since(t0)
	if e.opts.Progress != nil {
		e.opts.Progress(nU, nU)
	}
	t0 = time.Now()
	e.assemble(m, sides, workers)
	m.stats.Transpose = time.Since(t0)
	if e.opts.KeepSides {
		m.sides = sides
	}
	return nil
}

// bundle evaluates direction d at subject class s for every port atom,
// once per group of atoms that the applicable rules treat alike.
func (w *worker) bundle(d policy.Direction, s int, sides *sideSet) sideRows {
	e := w.e
	base, basePos := sides.in, sides.inPos
	if d == policy.Egress {
		base, basePos = sides.eg, sides.egPos
	}
	sr := sideRows{present: true}
	pols := e.applicable[d][s]
	meshed := d == policy.Ingress && e.mesh.applies(s)
	fwd := e.forwardPolicies(d, s)
	if len(pols) == 0 && !meshed && fwd == nil {
		// Not selected in this direction: every atom allows everything.
		base.Row(s).Fill(e.u.nU)
		if basePos != nil {
			basePos.Row(s).Fill(e.u.nU)
		}
		return sr
	}
	// The signature of each atom: how every applicable rule treats it.
	nA := len(e.ports)
	nR := 0
	for _, pi := range pols {
		nR += len(e.policies[pi].rules[d])
	}
	for _, pi := range fwd {
		nR += len(e.policies[pi].rules[d])
	}
	if meshed {
		nR++ // the mesh group of the atom
	}
	if cap(w.codes) < nA*nR {
		w.codes = make([]uint32, nA*nR)
	}
	codes := w.codes[:nA*nR]
	for a := 0; a < nA; a++ {
		k := a * nR
		for _, list := range [2][]int32{pols, fwd} {
			for _, pi := range list {
				p := &e.policies[pi]
				for ri := range p.rules[d] {
					codes[k] = e.ruleCode(d, &p.rules[d][ri], s, a)
					k++
				}
			}
		}
		if meshed {
			codes[k] = e.mesh.codes[s][a]
		}
		w.hashes[a] = hashCodes(codes[a*nR : (a+1)*nR])
	}
	// Group atoms by signature, the base atom's group first.
	var reps []int // representative atom of each group
	group := make([]uint16, nA)
	same := func(a, b int) bool {
		return w.hashes[a] == w.hashes[b] && slices.Equal(codes[a*nR:(a+1)*nR], codes[b*nR:(b+1)*nR])
	}
	reps = append(reps, e.base)
	for a := 0; a < nA; a++ {
		g := -1
		for gi, rep := range reps {
			if same(a, rep) {
				g = gi
				break
			}
		}
		if g < 0 {
			g = len(reps)
			reps = append(reps, a)
		}
		group[a] = uint16(g)
	}
	sr.group = group
	// Evaluate each group; a group whose rows come out equal to an earlier
	// group's joins it (other codes, same rows: DNS over TCP and UDP, say),
	// so that atoms differing only in such codes share their stores.
	merged := make([]uint16, len(reps)) // group → kept group
	var keptDef, keptPos []graph.Set    // rows of the kept groups
	for g, rep := range reps {
		var def, pos graph.Set
		if g == 0 {
			def = base.Row(s)
			if basePos != nil {
				pos = basePos.Row(s)
			}
		} else {
			def = graph.NewSet(e.u.nU)
			if e.cond {
				pos = graph.NewSet(e.u.nU)
			}
		}
		w.sides(d, s, rep, def, pos)
		w.ownNodeBits(d, s, def)
		if pos != nil {
			w.ownNodeBits(d, s, pos)
		}
		if fwd != nil {
			w.forward(d, s, fwd, rep, def, pos)
		}
		if meshed {
			if w.mesh == nil {
				w.mesh = newMeshScratch(e.u.nU)
			}
			e.mesh.and(w.mesh, s, rep, def, pos)
		}
		k := -1
		for i, kd := range keptDef {
			if kd.Equal(def) && (pos == nil || keptPos[i].Equal(pos)) {
				k = i
				break
			}
		}
		if k < 0 {
			k = len(keptDef)
			keptDef = append(keptDef, def)
			keptPos = append(keptPos, pos)
		}
		merged[g] = uint16(k)
	}
	if len(keptDef) == 1 {
		sr.group, sr.def, sr.pos = nil, nil, nil
		return sr
	}
	for a := range group {
		group[a] = merged[group[a]]
	}
	sr.def = keptDef[1:]
	if e.cond {
		sr.pos = keptPos[1:]
	}
	return sr
}

// hashCodes hashes a signature (FNV-1a over the codes); equal hashes are
// confirmed by comparing the codes.
func hashCodes(xs []uint32) uint64 {
	h := uint64(14695981039346656037)
	for _, x := range xs {
		h ^= uint64(x)
		h *= 1099511628211
	}
	return h
}

// ownNodeBits allows traffic from (and, with OwnNodeEgressUnpoliced, to)
// the class's own node. A host endpoint's own node is handled by
// hostOwnNodeBits.
func (w *worker) ownNodeBits(d policy.Direction, s int, row graph.Set) {
	e := w.e
	if e.hostOwn != nil && e.hostOwn[s] != nil {
		e.hostOwnNodeBits(d, s, row)
		return
	}
	if d == policy.Egress && !e.opts.OwnNodeEgressUnpoliced {
		return
	}
	for _, j := range e.ownNode[s] {
		row.Add(j)
	}
}

// sides evaluates direction d at subject class s for port atom a into
// def (allowed for sure) and pos (possibly allowed; nil without
// conditional verdicts): once per condition value when rules are
// conditional, and once per variant of the subject and of its peers when
// pool classes have several (see pool.go). Allowed for sure is allowed in
// every evaluation; possibly allowed, in some. (Conditional rules are Allow
// rules, so the verdict is monotone in each condition, and all conditions
// false and all true bound it.)
func (w *worker) sides(d policy.Direction, s, a int, def, pos graph.Set) {
	e := w.e
	nSelf, nPeer := e.variantLoops(d, s)
	first := true
	for vs := 0; vs < nSelf; vs++ {
		for vp := 0; vp < nPeer; vp++ {
			for c := 0; c < 2; c++ {
				if c == 1 && !e.ruleCond {
					break
				}
				if first {
					w.side(d, s, a, c == 1, vs, vp, def)
					if pos != nil {
						pos.CopyFrom(def)
					}
					first = false
					continue
				}
				w.side(d, s, a, c == 1, vs, vp, w.alt)
				def.And(w.alt)
				if pos != nil {
					pos.Or(w.alt)
				}
			}
		}
	}
}

// side evaluates direction d at subject class s for port atom a: the tiers
// in order with first-match rules, done for all peers at once on bit
// rows. out receives the allowed peers. The subject is taken at its
// variant vs and its peers at their variant vp (pool classes).
func (w *worker) side(d policy.Direction, s, a int, condTrue bool, vs, vp int, out graph.Set) {
	w.sideWith(d, s, w.e.applicable[d][s], a, condTrue, vs, vp, out)
}

// sideWith is side with the policies to walk given: those that apply to
// s, or those of a host endpoint that s's forwarded traffic crosses.
func (w *worker) sideWith(d policy.Direction, s int, pols []int32, a int, condTrue bool, vs, vp int, out graph.Set) {
	e := w.e
	U := w.undecided
	U.Fill(e.u.nU)
	out.Clear()
	P := w.passed
	tier := -1
	endTier := func() {
		if tier < 0 {
			return
		}
		if e.tiers[tier].passByDefault {
			U.Or(P)
		} else {
			U.CopyFrom(P)
		}
	}
	capable := 0
	if e.u.classes[s].v4 {
		capable = 1
	}
	at := e.ports[a]
	for _, pi := range pols {
		p := &e.policies[pi]
		if p.tier != tier {
			endTier()
			tier = p.tier
			P.Clear()
		}
		for ri := range p.rules[d] {
			r := &p.rules[d][ri]
			if r.action == policy.ActionLog || (r.cond && !condTrue) {
				continue
			}
			if d == policy.Egress && r.egCode[a] == codeNone || d == policy.Ingress && r.inCode[a] == codeNone {
				continue
			}
			for f := 0; f < 2; f++ {
				if f == 1 && !e.v6 {
					break
				}
				if r.skip[f] || (r.ipVersion != 0 && r.ipVersion != famOf(f)) {
					continue
				}
				var peers, ports graph.Set
				if d == policy.Egress {
					if !r.srcAny && !r.srcAt(f, vs).Has(s) {
						continue
					}
					peers = r.dstAt(f, vp)
					if r.egCode[a] != codeAll {
						var ok bool
						if ports, ok = w.portMask(r, at); !ok {
							continue
						}
					}
				} else {
					if !r.dstAny && !r.dstAt(f, vs).Has(s) {
						continue
					}
					if r.inCode[a] == codeSubject && !e.portOK(r, s, at) {
						continue
					}
					peers = r.srcAt(f, vp)
				}
				// The families' columns are disjoint, so applying them one
				// after the other equals applying their union.
				apply(r.action, U, out, P, e.famCols[capable][f], peers, ports)
			}
		}
	}
	endTier()
	out.Or(U) // profile / default: allow
}

// apply runs one rule on the undecided peers in a single pass over the
// words: the peers m = U ∩ cols ∩ peers (∩ ports) are allowed (or passed),
// and decided either way.
func apply(action policy.Action, U, out, P, cols, peers, ports graph.Set) {
	n := len(U)
	_, _, _, _, _ = out[n-1], P[n-1], cols[n-1], peers[n-1], U[n-1]
	switch {
	case ports != nil:
		_ = ports[n-1]
		for k := 0; k < n; k++ {
			m := U[k] & cols[k] & peers[k] & ports[k]
			if m == 0 {
				continue
			}
			switch action {
			case policy.ActionAllow:
				out[k] |= m
			case policy.ActionPass:
				P[k] |= m
			}
			U[k] &^= m
		}
	case action == policy.ActionAllow:
		for k := 0; k < n; k++ {
			m := U[k] & cols[k] & peers[k]
			out[k] |= m
			U[k] &^= m
		}
	case action == policy.ActionPass:
		for k := 0; k < n; k++ {
			m := U[k] & cols[k] & peers[k]
			P[k] |= m
			U[k] &^= m
		}
	default: // Deny
		for k := 0; k < n; k++ {
			U[k] &^= cols[k] & peers[k]
		}
	}
}

// portMask returns the destinations on which r's destination ports match
// port atom at (named ports resolve per class), or ok false when none can.
func (w *worker) portMask(r *compiledRule, at PortAtom) (mask graph.Set, ok bool) {
	e := w.e
	m := w.ports
	if r.dstPorts == nil {
		m.Fill(e.u.nU)
	} else {
		all := false
		m.Clear()
		for _, pm := range r.dstPorts {
			if numericCovers(pm, at) {
				all = true
				break
			}
			if s := e.namedSet(pm, at); s != nil {
				m.Or(s)
			}
		}
		if all {
			m.Fill(e.u.nU)
		}
	}
	for _, pm := range r.dstNot {
		if numericCovers(pm, at) {
			return nil, false
		}
		if s := e.namedSet(pm, at); s != nil {
			m.AndNot(s)
		}
	}
	return m, true
}

// portOK reports whether r's destination ports match port atom at on the
// subject class s itself (ingress rules).
func (e *engine) portOK(r *compiledRule, s int, at PortAtom) bool {
	if r.dstPorts != nil {
		ok := false
		for _, pm := range r.dstPorts {
			if numericCovers(pm, at) {
				ok = true
				break
			}
			if ns := e.namedSet(pm, at); ns != nil && ns.Has(s) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	for _, pm := range r.dstNot {
		if numericCovers(pm, at) {
			return false
		}
		if ns := e.namedSet(pm, at); ns != nil && ns.Has(s) {
			return false
		}
	}
	return true
}

// numericCovers reports whether a numeric port match covers the atom.
// Atoms are cut at every boundary, so partial overlap cannot happen.
func numericCovers(pm policy.PortMatch, at PortAtom) bool {
	if pm.Name != "" || !at.Protocol.HasPorts() {
		return false
	}
	if pm.Protocol != policy.AnyProtocol && pm.Protocol != at.Protocol {
		return false
	}
	return pm.Lo <= at.Lo && at.Hi <= pm.Hi
}

// namedSet returns the pod classes whose container port of that name has
// the atom's protocol and number, or nil.
func (e *engine) namedSet(pm policy.PortMatch, at PortAtom) graph.Set {
	if pm.Name == "" || !at.Protocol.HasPorts() || at.Lo != at.Hi {
		return nil
	}
	if pm.Protocol != policy.AnyProtocol && pm.Protocol != at.Protocol {
		return nil
	}
	return e.named[namedKey{pm.Name, at.Protocol, at.Lo}]
}

// atomStore is the verdict matrix of one port atom as differences from a
// reference: the base atom (ref -1) or another atom stored earlier. It
// keeps full rows for the sources in rowIdx and full columns (bits over
// sources) for the destinations in colIdx; every other bit reads as in the
// reference. same is true when the atom reads exactly like the base.
type atomStore struct {
	same   bool
	ref    int     // reference atom, -1 for the base
	rowIdx []int32 // per universe entry: index into rows, -1 when none
	rows   []graph.Set
	colIdx []int32
	cols   []graph.Set
}

// store is a whole verdict tensor (definite or possible verdicts).
type store struct {
	base  *graph.Matrix
	atoms []atomStore
}

// has reports the bit (i, j) of port atom p, following references.
func (st *store) has(p, i, j int) bool {
	for p >= 0 {
		a := &st.atoms[p]
		if a.same {
			break
		}
		if a.rowIdx != nil {
			if k := a.rowIdx[i]; k >= 0 {
				return a.rows[k].Has(j)
			}
		}
		if a.colIdx != nil {
			if k := a.colIdx[j]; k >= 0 {
				return a.cols[k].Has(i)
			}
		}
		p = a.ref
	}
	return st.base.Has(i, j)
}

// row writes row i of port atom p into dst: the nearest stored row along
// the chain of references (or the base row), then the column differences
// of the atoms in front of it.
func (st *store) row(p, i int, dst graph.Set) {
	var chain []*atomStore
	found := false
	for p >= 0 {
		a := &st.atoms[p]
		if a.same {
			break
		}
		if a.rowIdx != nil {
			if k := a.rowIdx[i]; k >= 0 {
				dst.CopyFrom(a.rows[k])
				found = true
				break
			}
		}
		chain = append(chain, a)
		p = a.ref
	}
	if !found {
		dst.CopyFrom(st.base.Row(i))
	}
	for t := len(chain) - 1; t >= 0; t-- {
		a := chain[t]
		if a.colIdx == nil {
			continue
		}
		for j, k := range a.colIdx {
			if k < 0 {
				continue
			}
			if a.cols[k].Has(i) {
				dst.Add(j)
			} else {
				dst.Remove(j)
			}
		}
	}
}

// assemble combines the sides into the verdict stores of m.
func (e *engine) assemble(m *Matrix, sides *sideSet, workers int) {
	m.def = e.assembleStore(sides, sides.eg, sides.in, false, workers)
	if e.cond {
		m.pos = e.assembleStore(sides, sides.egPos, sides.inPos, true, workers)
	}
}

// assembleStore builds one store from the egress and ingress sides. The
// base atom is eg AND inᵀ. Every other atom is stored against the atom
// (stored before it, or the base) whose groups differ from its own for the
// fewest classes: full rows for the sources whose egress group differs,
// full columns for the destinations whose ingress group differs.
func (e *engine) assembleStore(sides *sideSet, eg, in *graph.Matrix, pos bool, workers int) *store {
	nU, nC := e.u.nU, e.u.nC
	nA := len(e.ports)
	st := &store{atoms: make([]atomStore, nA)}
	egGroup := func(r, a int) uint16 {
		if g := sides.rows[policy.Egress][r].group; g != nil {
			return g[a]
		}
		return 0
	}
	inGroup := func(c, a int) uint16 {
		if g := sides.rows[policy.Ingress][c].group; g != nil {
			return g[a]
		}
		return 0
	}
	// Distinct atoms: those whose groups differ from every atom before.
	sameAs := make([]int, nA)
	var distinct []int
	for a := 0; a < nA; a++ {
		sameAs[a] = a
		for _, b := range distinct {
			if e.sameGroups(sides, a, b) {
				sameAs[a] = b
				break
			}
		}
		if sameAs[a] == a {
			distinct = append(distinct, a)
		}
	}
	// Distance to the base and between distinct atoms: classes whose
	// egress or ingress group differs.
	toBase := make(map[int]int, len(distinct))
	for _, a := range distinct {
		n := 0
		for r := 0; r < nC; r++ {
			if egGroup(r, a) != 0 {
				n++
			}
			if inGroup(r, a) != 0 {
				n++
			}
		}
		toBase[a] = n
	}
	order := append([]int(nil), distinct...)
	slices.SortStableFunc(order, func(x, y int) int { return toBase[x] - toBase[y] })
	ref := make(map[int]int, len(order))
	var placed []int
	for _, a := range order {
		best, cost := -1, toBase[a]
		for _, b := range placed {
			if c := e.groupDistance(sides, a, b, cost); c < cost {
				best, cost = b, c
			}
		}
		ref[a] = best
		placed = append(placed, a)
	}

	inT := in.Transpose()
	var egT *graph.Matrix
	needEgT := false
	// Rows and columns to store per atom, against its reference; and the
	// classes whose groups differ from the base (for completing rows and
	// columns from the base matrices).
	type plan struct{ R, C, Rb, Cb []int }
	plans := make(map[int]*plan, len(distinct))
	for _, a := range distinct {
		pl := &plan{}
		b := ref[a]
		for r := 0; r < nC; r++ {
			ea, ia := egGroup(r, a), inGroup(r, a)
			if ea != 0 {
				pl.Rb = append(pl.Rb, r)
			}
			if ia != 0 {
				pl.Cb = append(pl.Cb, r)
			}
			var eb, ib uint16
			if b >= 0 {
				eb, ib = egGroup(r, b), inGroup(r, b)
			}
			if ea != eb {
				pl.R = append(pl.R, r)
			}
			if ia != ib {
				pl.C = append(pl.C, r)
			}
		}
		if len(pl.C) > 0 {
			needEgT = true
		}
		plans[a] = pl
	}
	if needEgT {
		egT = eg.Transpose()
	}
	egRow := func(a, r int) graph.Set { return sides.rows[policy.Egress][r].row(a, eg, r, pos) }
	inRow := func(a, c int) graph.Set { return sides.rows[policy.Ingress][c].row(a, in, c, pos) }
	var intern setInterner
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(distinct) {
					return
				}
				a := distinct[k]
				pl := plans[a]
				as := &st.atoms[a]
				as.ref = ref[a]
				if len(pl.Rb) == 0 && len(pl.Cb) == 0 {
					as.same = true
					continue
				}
				if len(pl.R) > 0 {
					as.rowIdx = newIndex(nU)
					for _, r := range pl.R {
						// Row r of this atom: egress row AND the ingress
						// column of r, from the base's transpose with the
						// destinations whose ingress group differs fixed.
						row := patchedLine(nU, inT.Row(r), pl.Cb, func(c int) bool { return inRow(a, c).Has(r) }, egRow(a, r))
						as.rowIdx[r] = int32(len(as.rows))
						as.rows = append(as.rows, intern.intern(row))
					}
				}
				if len(pl.C) > 0 {
					as.colIdx = newIndex(nU)
					for _, c := range pl.C {
						// Column c, the same way from the egress side.
						col := patchedLine(nU, egT.Row(c), pl.Rb, func(r int) bool { return egRow(a, r).Has(c) }, inRow(a, c))
						as.colIdx[c] = int32(len(as.cols))
						as.cols = append(as.cols, intern.intern(col))
					}
				}
			}
		}()
	}
	wg.Wait()
	for a := range st.atoms {
		if b := sameAs[a]; b != a {
			st.atoms[a] = st.atoms[b]
		}
	}
	if e.opts.KeepSides {
		st.base = eg.Clone()
	} else {
		st.base = eg // eg is not read again
	}
	st.base.And(inT)
	return st
}

// patchedLine builds one row (or column) of a port atom's matrix: the
// base atom's line of the other side, with the entries listed in fix
// re-read from this atom (has), ANDed with this atom's own side.
func patchedLine(n int, base graph.Set, fix []int, has func(int) bool, own graph.Set) graph.Set {
	line := graph.NewSet(n)
	line.CopyFrom(base)
	for _, k := range fix {
		if has(k) {
			line.Add(k)
		} else {
			line.Remove(k)
		}
	}
	line.And(own)
	return line
}

// sameGroups reports whether port atoms a and b put every class in the
// same egress and ingress groups.
func (e *engine) sameGroups(sides *sideSet, a, b int) bool {
	return e.groupDistance(sides, a, b, 1) == 0
}

// groupDistance counts the classes whose egress or ingress group differs
// between port atoms a and b, stopping at limit.
func (e *engine) groupDistance(sides *sideSet, a, b, limit int) int {
	n := 0
	for d := range sides.rows {
		for r := 0; r < e.u.nC; r++ {
			if g := sides.rows[d][r].group; g != nil && g[a] != g[b] {
				n++
				if n >= limit {
					return n
				}
			}
		}
	}
	return n
}

// setInterner stores each distinct bit set once; it is safe for
// concurrent use.
type setInterner struct {
	mu   sync.Mutex
	sets map[uint64][]graph.Set
}

// intern returns a stored set equal to s, storing s when there is none.
func (in *setInterner) intern(s graph.Set) graph.Set {
	h := uint64(14695981039346656037)
	for _, w := range s {
		h = (h ^ w) * 1099511628211
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.sets == nil {
		in.sets = map[uint64][]graph.Set{}
	}
	for _, x := range in.sets[h] {
		if x.Equal(s) {
			return x
		}
	}
	in.sets[h] = append(in.sets[h], s)
	return s
}

func newIndex(n int) []int32 {
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = -1
	}
	return idx
}
