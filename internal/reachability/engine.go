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

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/bitrow"
	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
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
	subject classList
	applies [2]bool
	rules   [2][]compiledRule
	fresh   bool       // compiled here (port codes to compute), not reused
	fp      *footprint // kept for updates
}

type compiledTier struct {
	passByDefault bool
}

// engine holds everything the row evaluation reads; it is read-only once
// built, so workers share it.
type engine struct {
	// facts counts the endpoints that change how the snapshot is computed.
	facts endpointFacts
	// portsGen counts the updates since Compute that moved the port atoms
	// (see class.gen).
	portsGen int
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
	// tally counts the footprints of the program's policies; footprints
	// has each policy's, while compiling (then in compiledPolicy.fp).
	tally      *tally
	footprints map[*policy.Lowered]*footprint
	// keys are the classes' keys, kept for updates.
	keys    *classKeys
	famCols [2][2]graph.Set // [v4Capable][family]: columns whose flow with the row uses that family
	cond    bool            // some verdict can be conditional (a store of possible rows)
	// ruleCond is true when some rule is conditional; variants when some
	// rule treats the variants of a pool class differently (see pool.go).
	ruleCond, variants bool
	v6                 bool // some flow can be IPv6
	sig                classSig
	// lowered[i] is the lowered policy policies[i] was compiled from.
	lowered []*policy.Lowered
	opts    Options
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
	// rows evaluated, and taken over from the previous matrix by an update
	// (with the columns it evaluated again patched in).
	RowsEvaluated, RowsCopied int64
	// Update says how [Update] made the matrix: incrementally, or from
	// scratch and why. It is the zero value for [Compute].
	Update UpdateStats
}

// Compute builds the reachability matrix of the snapshot: for every pair
// of endpoints (and external address ranges) and every port atom, whether
// a connection can be opened. The work is done on equivalence classes of
// endpoints with bitset rows (see the README, "What is computed"). Every
// phase looks at ctx, every 64 endpoints or policies and every 256 rows:
// once ctx is cancelled Compute returns ctx.Err() (not wrapped) and no
// matrix. A snapshot not built by a policy.Loader (nil, zero, or assembled
// by hand) fails with a *policy.InvalidInputError.
func Compute(ctx context.Context, s *policy.Snapshot, opts Options) (*Matrix, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	e, m, err := build(ctx, s, opts)
	if err != nil {
		return nil, err
	}
	if err := e.run(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}

// build lowers the snapshot and prepares the engine and an empty matrix:
// universe, classes, port atoms, compiled rules. It returns ctx's error
// when ctx is cancelled, checking it between phases and every few
// endpoints or policies within them.
func build(ctx context.Context, s *policy.Snapshot, opts Options) (*engine, *Matrix, error) {
	var st Stats
	t0 := time.Now()
	mode := opts.Mode.Resolve(s)
	input := s
	s, diags := s.WithStagedView(opts.Staged)
	s, diags = withHostEndpoints(s, mode, opts, diags)
	prog, lowerDiags, err := policy.LowerContext(ctx, s, lowerOptions(opts, mode, nil))
	if err != nil {
		return nil, nil, err
	}
	diags = append(diags, lowerDiags...)
	st.Lower = time.Since(t0)

	t0 = time.Now()
	e := &engine{opts: opts, prog: prog, mesh: newMeshLayer(s, opts)}
	if opts.KeepSides {
		e.footprints = map[*policy.Lowered]*footprint{}
	}
	e.tally = tallyOf(prog, e.footprints)
	var extra []netipx.IPRange
	if e.mesh != nil {
		extra = e.mesh.ranges()
	}
	e.facts = factsOf(s)
	e.u.atoms = e.tally.atoms(prog, s, extra, &e.facts)
	e.sig = signature(e.tally, s, &e.facts)
	if e.mesh != nil {
		e.mesh.extendSignature(&e.sig)
	}
	var classOf []int
	var keys []string
	if e.u.classes, classOf, keys, err = buildClasses(ctx, s.Endpoints, e.u.atoms, e.sig); err != nil {
		return nil, nil, err
	}
	if opts.KeepSides {
		e.u.classes, keys = withRoom(e.u.classes, keys, &e.facts)
	}
	e.u.nC = len(e.u.classes)
	e.u.nU = e.u.nC + len(e.u.atoms)
	e.ports = e.tally.portAtoms(mode, e.u.classes, opts.portCuts)
	if e.mesh != nil {
		e.ports = cutPorts(e.ports, e.mesh.model.CutPorts())
	}
	e.base = baseAtom(e.ports)
	st.Classify = time.Since(t0)
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}

	t0 = time.Now()
	e.comp = newCompiler(&e.u, s, prog)
	if err := e.compile(ctx, e.comp, prog, &st, nil); err != nil {
		return nil, nil, err
	}
	e.footprints = nil // each compiled policy has its own
	e.finish(s)
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if e.mesh != nil {
		e.mesh.compile(e)
		e.cond = e.cond || e.mesh.cond
		diags = append(diags, e.mesh.model.Diagnostics()...)
	}
	st.Compile = time.Since(t0)
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	st.Endpoints, st.Classes, st.ExternalAtoms, st.PortAtoms = len(s.Endpoints), e.u.nC, len(e.u.atoms), len(e.ports)
	if opts.KeepSides {
		st.Update.Holes = e.u.holes()
		st.Classes -= st.Update.Holes
	}

	m := &Matrix{
		snap: s, opts: opts, mode: mode, u: e.u, classOf: classOf, ports: e.ports,
		diags: diags, stats: st, prog: prog, meshMode: MeshOff, input: input,
	}
	if e.mesh != nil {
		m.meshMode, m.meshModel = MeshIstio, e.mesh.model
	}
	if opts.KeepSides {
		e.keys = &classKeys{list: keys}
		m.engine = e
	} else {
		e.keys = nil
	}
	return e, m, nil
}

// checkEvery is how many endpoints, classes or policies a setup loop
// handles between two looks at its context: a look costs a lock, the
// work between two stays well under the 100 ms a cancel may take (a policy
// compiles in about a millisecond among 150,000 pods).
const checkEvery = 16

// cancelledAt returns ctx's error when i is a multiple of checkEvery and
// ctx is cancelled.
func cancelledAt(ctx context.Context, i int) error {
	if i%checkEvery != 0 {
		return nil
	}
	return ctx.Err()
}

// finish derives what the rows read besides the compiled policies.
func (e *engine) finish(s *policy.Snapshot) {
	e.v6 = e.comp.v6
	e.comp.reset()
	e.buildFamilyColumns()
	e.buildOwnNode(s)
	e.buildHostOwnNode(s)
}

// lowerOptions are the options of lowering a snapshot for opts in the
// resolved mode, reusing the lowering of prev when given.
func lowerOptions(opts Options, mode policy.Mode, prev *policy.Program) policy.LowerOptions {
	return policy.LowerOptions{Mode: mode, IPBlockIgnoresPodIPs: opts.IPBlockIgnoresPodIPs, CalicoVersion: opts.CalicoVersion, Previous: prev}
}

// signature is the class signature of a tallied program over a
// snapshot's inventory: what its rules read, and whether the node matters.
func signature(t *tally, s *policy.Snapshot, f *endpointFacts) classSig {
	sig := t.signature()
	if len(s.Nodes) > 0 || f.hostNet > 0 || f.host > 0 {
		sig.node = true
	}
	return sig
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

// compile compiles every policy of the program. reuse (when not nil)
// hands over the compiled form of a policy an earlier engine compiled,
// adapted to this engine's universe, instead. It returns ctx's error when
// ctx is cancelled.
func (e *engine) compile(ctx context.Context, c *compiler, prog *policy.Program, st *Stats, reuse func(p *policy.Lowered) (compiledPolicy, bool)) error {
	e.cond = e.tally.cond > 0
	e.ruleCond = e.cond
	names := map[string]bool{}
	for n := range e.tally.dstNames {
		names[n] = true
	}
	if e.named == nil {
		e.named = namedSets(&e.u, names)
	}
	n := 0
	for _, t := range prog.Tiers {
		n += len(t.Policies)
	}
	e.lowered, e.policies = make([]*policy.Lowered, 0, n), make([]compiledPolicy, 0, n)
	for ti, t := range prog.Tiers {
		e.tiers = append(e.tiers, compiledTier{passByDefault: t.DefaultAction == policy.ActionPass})
		for _, p := range t.Policies {
			if err := cancelledAt(ctx, st.Policies); err != nil {
				return err
			}
			st.Policies++
			for d := range p.Rules {
				st.Rules += len(p.Rules[d])
			}
			if reuse != nil {
				if cp, ok := reuse(p); ok {
					cp.tier = ti
					e.lowered = append(e.lowered, p)
					e.policies = append(e.policies, cp)
					continue
				}
			}
			cp := compiledPolicy{tier: ti, subject: listOf(c.subject(&p.Subject)), applies: p.Applies, fresh: true, fp: e.footprints[p]}
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
			e.lowered = append(e.lowered, p)
			e.policies = append(e.policies, cp)
		}
	}
	// Which policies apply to which class, in evaluation order: built from
	// the subject sets once, so rows never scan policies that do not apply.
	// (An update derives them from the previous engine's.)
	if reuse == nil {
		e.buildApplicable()
	}
	if err := ctx.Err(); err != nil {
		return err
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
	return e.portCodes(ctx)
}

// buildApplicable lists the policies that apply to each class.
func (e *engine) buildApplicable() {
	for d := range e.applicable {
		e.applicable[d] = make([][]int32, e.u.nC)
	}
	for pi := range e.policies {
		p := &e.policies[pi]
		for _, s := range p.subject {
			for d := range e.applicable {
				if p.applies[d] {
					e.applicable[d][s] = append(e.applicable[d][s], int32(pi))
				}
			}
		}
	}
}

// classList is a sorted list of classes: a sparse set.
type classList []int32

// listOf returns the classes of a set.
func listOf(s graph.Set) classList {
	var l classList
	for c := range s.All() {
		l = append(l, int32(c))
	}
	return l
}

// Has reports whether c is in the list. It is O(log n).
func (l classList) Has(c int) bool {
	_, ok := slices.BinarySearch(l, int32(c))
	return ok
}

// indexOf returns the index of the compiled policy of a lowered one, or
// -1. It is O(policies).
func (e *engine) indexOf(l *policy.Lowered) int {
	return slices.Index(e.lowered, l)
}

// namedSets returns, per container port name that rules use (with its
// protocol and number), the pod classes that declare it.
func namedSets(u *universe, names map[string]bool) map[namedKey]graph.Set {
	named := map[namedKey]graph.Set{}
	for i, cl := range u.classes {
		if cl.host {
			continue
		}
		for _, cp := range cl.rep.Ports {
			if !names[cp.Name] {
				continue
			}
			k := namedKey{cp.Name, cp.Protocol, cp.Port}
			s := named[k]
			if s == nil {
				s = graph.NewSet(u.nU)
				named[k] = s
			}
			s.Add(i)
		}
	}
	return named
}

// portCodes computes, for every rule and port atom, how the rule's
// protocol and destination ports treat the atom (see compiledRule). It
// returns ctx's error when ctx is cancelled.
func (e *engine) portCodes(ctx context.Context) error {
	combos := map[string]uint32{}
	var b strings.Builder
	for pi := range e.policies {
		if err := cancelledAt(ctx, pi); err != nil {
			return err
		}
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
	return nil
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

// worker holds the scratch rows of one goroutine.
type worker struct {
	e                 *engine
	undecided, passed graph.Set
	tmp, ports, alt   graph.Set
	codes             []uint32
	hashes            []uint64
	pairs             [][2]uint16 // scratch of patch
	// def and pos hold the rows of the groups of the bundle being
	// evaluated, the base group's first.
	def, pos []graph.Set
	mesh     *meshScratch // allocated for the first class the mesh polices
	fwdRows  [3]graph.Set // scratch of forward, allocated on first use
}

func (e *engine) newWorker() *worker {
	n := e.u.nU
	return &worker{e: e, undecided: graph.NewSet(n), passed: graph.NewSet(n), tmp: graph.NewSet(n), ports: graph.NewSet(n), alt: graph.NewSet(n),
		hashes: make([]uint64, len(e.ports))}
}

// groupRow returns the k-th scratch row of kind pos, growing the pool.
func (w *worker) groupRow(k int, pos bool) graph.Set {
	rows := &w.def
	if pos {
		rows = &w.pos
	}
	for len(*rows) <= k {
		*rows = append(*rows, graph.NewSet(w.e.u.nU))
	}
	return (*rows)[k]
}

// run evaluates the rows of every class and builds the matrix's tensor.
func (e *engine) run(ctx context.Context, m *Matrix) error {
	workers := e.workers()
	t0 := time.Now()
	t := e.newTensor()
	var next atomic.Int64
	var cancelled atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := e.newWorker()
			var evaluated, groups int64
			for {
				r := int(next.Add(1) - 1)
				if r >= e.u.nU {
					break
				}
				if r%256 == 0 {
					if ctx.Err() != nil {
						cancelled.Store(true)
						break
					}
					if e.opts.Progress != nil {
						e.opts.Progress(r, e.u.nU)
					}
				}
				if r >= e.u.nC || e.u.classes[r].host {
					t.setUnpoliced(r)
					continue
				}
				for d := policy.Ingress; d <= policy.Egress; d++ {
					groups += int64(wk.evaluate(t, d, r))
					evaluated++
				}
			}
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
		e.opts.Progress(e.u.nU, e.u.nU)
	}
	t0 = time.Now()
	for _, f := range []*factors{t.def, t.pos} {
		if err := ctx.Err(); err != nil {
			return err
		}
		if f != nil {
			t.transposeIngress(f, f == t.pos, workers)
			if !e.opts.KeepSides {
				f.in = nil
			}
		}
	}
	m.stats.Transpose = time.Since(t0)
	m.t = t
	return nil
}

func (e *engine) workers() int {
	if e.opts.Workers > 0 {
		return e.opts.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// newTensor allocates an empty tensor over the engine's universe.
func (e *engine) newTensor() *tensor {
	t := &tensor{nC: e.u.nC, nU: e.u.nU, codec: bitrow.NewCodec(e.u.nU)}
	all := make([]uint64, t.codec.Words())
	addRange(all, 0, t.nU)
	t.all = t.codec.Encode(all)
	newFactors := func() *factors {
		return &factors{eg: make([]bitrow.Row, e.u.nU), in: make([]bitrow.Row, e.u.nC)}
	}
	t.def = newFactors()
	if e.cond {
		t.pos = newFactors()
	}
	for d := range t.groups {
		t.groups[d] = make([]atomGroups, e.u.nC)
	}
	return t
}

// setUnpoliced gives entry r the rows of an endpoint no policy applies
// to: external atoms and host-network classes allow everything both ways.
func (t *tensor) setUnpoliced(r int) {
	for _, f := range []*factors{t.def, t.pos} {
		if f == nil {
			continue
		}
		f.eg[r] = t.all
		if r < t.nC {
			f.in[r] = t.all
		}
	}
}

// evaluate evaluates the bundle of (direction d, class s) and stores it in
// t; it returns the number of distinct rows kept.
func (w *worker) evaluate(t *tensor, d policy.Direction, s int) int {
	g, kept := w.bundle(d, s)
	t.groups[d][s] = g
	base := func(f *factors) *bitrow.Row {
		if d == policy.Egress {
			return &f.eg[s]
		}
		return &f.in[s]
	}
	*base(t.def) = t.codec.Encode(w.def[0])
	if t.pos != nil {
		*base(t.pos) = t.codec.Encode(w.pos[0])
	}
	return kept
}

// bundle evaluates direction d at subject class s for every port atom,
// once per group of atoms that the applicable rules treat alike; groups
// whose rows come out equal merge. The base group's rows are left in
// w.def[0] (and w.pos[0]); the other groups are returned as differences
// from them, with the number of distinct rows.
func (w *worker) bundle(d policy.Direction, s int) (atomGroups, int) {
	e := w.e
	pols := e.applicable[d][s]
	meshed := d == policy.Ingress && e.mesh.applies(s)
	fwd := e.forwardPolicies(d, s)
	if len(pols) == 0 && !meshed && fwd == nil {
		// Not selected in this direction: every atom allows everything.
		w.groupRow(0, false).Fill(e.u.nU)
		if e.cond {
			w.groupRow(0, true).Fill(e.u.nU)
		}
		return atomGroups{}, 1
	}
	reps, group := w.codeGroups(d, s)
	// Evaluate each group; a group whose rows come out equal to an earlier
	// group's joins it (other codes, same rows: DNS over TCP and UDP, say),
	// so that atoms differing only in such codes share their rows.
	merged := make([]uint16, len(reps)) // group → kept group
	kept := 0
	for g, rep := range reps {
		def := w.groupRow(kept, false)
		var pos graph.Set
		if e.cond {
			pos = w.groupRow(kept, true)
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
		for i := 0; i < kept; i++ {
			if w.def[i].Equal(def) && (pos == nil || w.pos[i].Equal(pos)) {
				k = i
				break
			}
		}
		if k < 0 {
			k = kept
			kept++
		}
		merged[g] = uint16(k)
	}
	if kept == 1 {
		return atomGroups{}, 1
	}
	for a := range group {
		group[a] = merged[group[a]]
	}
	out := atomGroups{group: group, def: make([]bitrow.Diff, kept-1)}
	if e.cond {
		out.pos = make([]bitrow.Diff, kept-1)
	}
	for k := 1; k < kept; k++ {
		out.def[k-1] = bitrow.DiffOf(w.def[k], w.def[0])
		if e.cond {
			out.pos[k-1] = bitrow.DiffOf(w.pos[k], w.pos[0])
		}
	}
	return out, kept
}

// codeGroups groups the port atoms by how every rule that applies to
// class s in direction d treats them (the atoms' signatures): group[a] is
// the group of atom a, and reps[g] the first atom of group g; the base
// atom's group is 0.
func (w *worker) codeGroups(d policy.Direction, s int) (reps []int, group []uint16) {
	e := w.e
	pols := e.applicable[d][s]
	meshed := d == policy.Ingress && e.mesh.applies(s)
	fwd := e.forwardPolicies(d, s)
	// The signature of each atom: how every applicable rule treats it
	// (and the mesh).
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
	group = make([]uint16, nA)
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
	return reps, group
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
					w.side(d, s, a, c == 1, vs, vp, def, nil)
					if pos != nil {
						pos.CopyFrom(def)
					}
					first = false
					continue
				}
				w.side(d, s, a, c == 1, vs, vp, w.alt, nil)
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
// variant vs and its peers at their variant vp (pool classes). With a
// window, only its words are evaluated (and written).
func (w *worker) side(d policy.Direction, s, a int, condTrue bool, vs, vp int, out graph.Set, win window) {
	w.sideWith(d, s, w.e.applicable[d][s], a, condTrue, vs, vp, out, win)
}

// sideWith is side with the policies to walk given: those that apply to
// s, or those of a host endpoint that s's forwarded traffic crosses.
func (w *worker) sideWith(d policy.Direction, s int, pols []int32, a int, condTrue bool, vs, vp int, out graph.Set, win window) {
	e := w.e
	U := w.undecided
	win.fill(U, e.u.nU)
	win.clear(out)
	P := w.passed
	tier := -1
	endTier := func() {
		if tier < 0 {
			return
		}
		if e.tiers[tier].passByDefault {
			win.or(U, P)
		} else {
			win.copy(U, P)
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
			win.clear(P)
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
						if ports, ok = w.portMask(r, at, win); !ok {
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
				if win == nil {
					apply(r.action, U, out, P, e.famCols[capable][f], peers, ports)
				} else {
					win.apply(r.action, U, out, P, e.famCols[capable][f], peers, ports)
				}
			}
		}
	}
	endTier()
	win.or(out, U) // profile / default: allow
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
func (w *worker) portMask(r *compiledRule, at PortAtom, win window) (mask graph.Set, ok bool) {
	e := w.e
	m := w.ports
	if r.dstPorts == nil {
		win.fill(m, e.u.nU)
	} else {
		all := false
		win.clear(m)
		for _, pm := range r.dstPorts {
			if numericCovers(pm, at) {
				all = true
				break
			}
			if s := e.namedSet(pm, at); s != nil {
				win.or(m, s)
			}
		}
		if all {
			win.fill(m, e.u.nU)
		}
	}
	for _, pm := range r.dstNot {
		if numericCovers(pm, at) {
			return nil, false
		}
		if s := e.namedSet(pm, at); s != nil {
			win.andNot(m, s)
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
