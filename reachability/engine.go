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
	src              *policy.Rule
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
	famCols    [2][2]graph.Set        // [v4Capable][family]: columns whose flow with the row uses that family
	cond       bool                   // some rule is conditional
	v6         bool                   // some flow can be IPv6
	opts       Options
	// ownNode lists, per class, the universe entries that are its own node
	// (host-network classes on the same node, node addresses).
	ownNode [][]int
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
	// rows evaluated; without grouping it would be classes × 2 × atoms.
	RowGroups int64
	// RowsEvaluated and RowsCopied count the (class, direction) bundles of
	// rows evaluated, and copied from a previous matrix by an update.
	RowsEvaluated, RowsCopied int64
}

// Compute builds the reachability matrix of the snapshot: for every pair
// of endpoints (and external address ranges) and every port atom, whether
// a connection can be opened. The work is done on equivalence classes of
// endpoints with bitset rows; see DESIGN.md. ctx cancels a long
// computation.
func Compute(ctx context.Context, s *policy.Snapshot, opts Options) (*Matrix, error) {
	e, m := build(s, opts)
	if err := e.run(ctx, m, nil); err != nil {
		return nil, err
	}
	return m, nil
}

// build lowers the snapshot and prepares the engine and an empty matrix:
// universe, classes, port atoms, compiled rules.
func build(s *policy.Snapshot, opts Options) (*engine, *Matrix) {
	var st Stats
	t0 := time.Now()
	mode := opts.Mode.Resolve(s)
	s, diags := s.WithStagedView(opts.Staged)
	prog, lowerDiags := policy.Lower(s, policy.LowerOptions{Mode: mode, IPBlockIgnoresPodIPs: opts.IPBlockIgnoresPodIPs, CalicoVersion: opts.CalicoVersion})
	diags = append(diags, lowerDiags...)
	st.Lower = time.Since(t0)

	t0 = time.Now()
	e := &engine{opts: opts, prog: prog}
	v6 := false
	for _, ep := range s.Endpoints {
		if _, ok := ep.IP(6); ok {
			v6 = true
		}
	}
	e.u.atoms = externalAtoms(collectRanges(prog, s), v6)
	sig := classSignature(prog)
	for _, ep := range s.Endpoints {
		if ep.HostNetwork {
			sig.node = true
		}
	}
	if len(s.Nodes) > 0 {
		sig.node = true
	}
	var classOf []int
	e.u.classes, classOf = buildClasses(s.Endpoints, e.u.atoms, sig)
	e.u.nC = len(e.u.classes)
	e.u.nU = e.u.nC + len(e.u.atoms)
	e.ports = portAtoms(prog, s.Endpoints)
	e.base = baseAtom(e.ports)
	st.Classify = time.Since(t0)

	t0 = time.Now()
	e.comp = newCompiler(&e.u, s, prog)
	e.compile(e.comp, prog, &st)
	e.v6 = e.comp.v6
	e.comp.reset()
	e.buildFamilyColumns()
	e.buildOwnNode(s)
	st.Compile = time.Since(t0)
	st.Endpoints, st.Classes, st.ExternalAtoms, st.PortAtoms = len(s.Endpoints), e.u.nC, len(e.u.atoms), len(e.ports)

	m := &Matrix{
		snap: s, opts: opts, mode: mode, u: e.u, classOf: classOf, ports: e.ports,
		diags: diags, stats: st, prog: prog,
	}
	return e, m
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

func (e *engine) compile(c *compiler, prog *policy.Program, st *Stats) {
	e.named = map[namedKey]graph.Set{}
	names := map[string]bool{}
	for ti, t := range prog.Tiers {
		e.tiers = append(e.tiers, compiledTier{passByDefault: t.DefaultAction == policy.ActionPass})
		for _, p := range t.Policies {
			st.Policies++
			cp := compiledPolicy{tier: ti, subject: c.subject(&p.Subject), applies: p.Applies}
			for d := range p.Rules {
				for i := range p.Rules[d] {
					r := &p.Rules[d][i]
					st.Rules++
					cr := compiledRule{src: r, action: r.Action, cond: r.Conditional != "", proto: r.Protocol,
						notProto: r.NotProtocol, ipVersion: r.IPVersion, skip: r.SkipFamily,
						dstPorts: r.Dst.Ports, dstNot: r.Dst.NotPorts}
					cr.srcAny, cr.srcSet = c.entity(&r.Src)
					cr.dstAny, cr.dstSet = c.entity(&r.Dst)
					if cr.cond {
						e.cond = true
					}
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
					cp.rules[d] = append(cp.rules[d], cr)
				}
			}
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
	// The subject sets were only needed for the lists above.
	for pi := range e.policies {
		e.policies[pi].subject = nil
	}
	e.portCodes()
}

// portCodes computes, for every rule and port atom, how the rule's
// protocol and destination ports treat the atom (see compiledRule).
func (e *engine) portCodes() {
	combos := map[string]uint32{}
	var b strings.Builder
	for pi := range e.policies {
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
func (e *engine) buildFamilyColumns() {
	v4classes := graph.NewSet(e.u.nU)
	for i, cl := range e.u.classes {
		if cl.v4 {
			v4classes.Add(i)
		}
	}
	for capable := 0; capable < 2; capable++ {
		for f := 0; f < 2; f++ {
			s := graph.NewSet(e.u.nU)
			switch {
			case f == 0 && capable == 1:
				s.CopyFrom(v4classes)
			case f == 1 && capable == 1:
				s.Fill(e.u.nC)
				s.AndNot(v4classes)
			case f == 1 && capable == 0:
				s.Fill(e.u.nC)
			}
			for a, at := range e.u.atoms {
				if at.Family() == famOf(f) {
					s.Add(e.u.atomIndex(a))
				}
			}
			e.famCols[capable][f] = s
		}
	}
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
	for i, cl := range e.u.classes {
		if cl.host || cl.rep.Node == "" {
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
	mask, tmp, ports  graph.Set
	codes             []uint32
	hashes            []uint64
}

func (e *engine) newWorker() *worker {
	n := e.u.nU
	return &worker{e: e, undecided: graph.NewSet(n), passed: graph.NewSet(n), mask: graph.NewSet(n), tmp: graph.NewSet(n), ports: graph.NewSet(n),
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
				if r%256 == 0 && ctx.Err() != nil {
					cancelled.Store(true)
					break
				}
				if r >= e.u.nC || e.u.classes[r].host {
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
	if len(pols) == 0 {
		// Not selected in this direction: every atom allows everything.
		base.Row(s).Fill(e.u.nU)
		if basePos != nil {
			basePos.Row(s).Fill(e.u.nU)
		}
		w.ownNodeBits(d, s, base.Row(s), basePos)
		return sr
	}
	// The signature of each atom: how every applicable rule treats it.
	nA := len(e.ports)
	nR := 0
	for _, pi := range pols {
		nR += len(e.policies[pi].rules[d])
	}
	if cap(w.codes) < nA*nR {
		w.codes = make([]uint32, nA*nR)
	}
	codes := w.codes[:nA*nR]
	for a := 0; a < nA; a++ {
		k := a * nR
		for _, pi := range pols {
			p := &e.policies[pi]
			for ri := range p.rules[d] {
				r := &p.rules[d][ri]
				var c uint32
				if d == policy.Egress {
					c = r.egCode[a]
				} else {
					c = uint32(r.inCode[a])
					if c == codeSubject {
						c = codeNone
						if e.portOK(r, s, e.ports[a]) {
							c = codeAll
						}
					}
				}
				codes[k] = c
				k++
			}
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
	if len(reps) > 1 {
		sr.group = group
		sr.def = make([]graph.Set, len(reps)-1)
		if e.cond {
			sr.pos = make([]graph.Set, len(reps)-1)
		}
	}
	for g, rep := range reps {
		var def, pos graph.Set
		if g == 0 {
			def = base.Row(s)
			if basePos != nil {
				pos = basePos.Row(s)
			}
		} else {
			def = graph.NewSet(e.u.nU)
			sr.def[g-1] = def
			if e.cond {
				pos = graph.NewSet(e.u.nU)
				sr.pos[g-1] = pos
			}
		}
		w.side(d, s, rep, false, def)
		if e.cond {
			w.side(d, s, rep, true, pos)
			// Allowed for sure only when allowed either way; possibly
			// allowed when allowed either way (the verdict is monotone in
			// each condition because conditional rules are Allow rules).
			w.tmp.CopyFrom(def)
			def.And(pos)
			pos.Or(w.tmp)
		}
		w.ownNodeBits(d, s, def, nil)
		if pos != nil {
			w.ownNodeBits(d, s, pos, nil)
		}
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
// the class's own node.
func (w *worker) ownNodeBits(d policy.Direction, s int, row graph.Set, pos *graph.Matrix) {
	e := w.e
	if d == policy.Egress && !e.opts.OwnNodeEgressUnpoliced {
		return
	}
	for _, j := range e.ownNode[s] {
		row.Add(j)
		if pos != nil {
			pos.Set(s, j)
		}
	}
}

// side evaluates direction d at subject class s for port atom a: the tiers
// in order with first-match rules, done for all peers at once on bit
// rows. out receives the allowed peers.
func (w *worker) side(d policy.Direction, s, a int, condTrue bool, out graph.Set) {
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
	for _, pi := range e.applicable[d][s] {
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
			if !w.ruleMask(r, d, s, a) {
				continue
			}
			m := w.mask
			m.And(U)
			switch r.action {
			case policy.ActionAllow:
				out.Or(m)
			case policy.ActionPass:
				P.Or(m)
			}
			U.AndNot(m)
		}
	}
	endTier()
	out.Or(U) // profile / default: allow
}

// ruleMask sets w.mask to the peers (columns) for which rule r matches the
// flow between subject class s and the peer on port atom a, and reports
// whether any column matched.
func (w *worker) ruleMask(r *compiledRule, d policy.Direction, s, a int) bool {
	e := w.e
	if d == policy.Egress && r.egCode[a] == codeNone || d == policy.Ingress && r.inCode[a] == codeNone {
		return false
	}
	at := e.ports[a]
	m := w.mask
	m.Clear()
	capable := 0
	if e.u.classes[s].v4 {
		capable = 1
	}
	any := false
	for f := 0; f < 2; f++ {
		if f == 1 && !e.v6 {
			break
		}
		if r.skip[f] || (r.ipVersion != 0 && r.ipVersion != famOf(f)) {
			continue
		}
		cols := e.famCols[capable][f]
		if d == policy.Egress {
			if !r.srcAny && !r.srcSet[f].Has(s) {
				continue
			}
			w.tmp.CopyFrom(cols)
			w.tmp.And(r.dstSet[f])
			if r.egCode[a] != codeAll && !w.applyPorts(w.tmp, r, at) {
				continue
			}
		} else {
			if !r.dstAny && !r.dstSet[f].Has(s) {
				continue
			}
			if r.inCode[a] == codeSubject && !e.portOK(r, s, at) {
				continue
			}
			w.tmp.CopyFrom(cols)
			w.tmp.And(r.srcSet[f])
		}
		m.Or(w.tmp)
		any = true
	}
	return any && !m.IsEmpty()
}

// applyPorts restricts cols to the destinations on which r's destination
// ports match port atom at. It reports false when nothing is left.
func (w *worker) applyPorts(cols graph.Set, r *compiledRule, at PortAtom) bool {
	e := w.e
	if r.dstPorts != nil {
		all := false
		w.ports.Clear()
		for _, pm := range r.dstPorts {
			if numericCovers(pm, at) {
				all = true
				break
			}
			if s := e.namedSet(pm, at); s != nil {
				w.ports.Or(s)
			}
		}
		if !all {
			cols.And(w.ports)
		}
	}
	for _, pm := range r.dstNot {
		if numericCovers(pm, at) {
			return false
		}
		if s := e.namedSet(pm, at); s != nil {
			cols.AndNot(s)
		}
	}
	return !cols.IsEmpty()
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

// atomStore is the verdict matrix of one port atom as differences from
// the base atom: full rows for the sources in rowIdx, full columns (bits
// over sources) for the destinations in colIdx. same is true when the atom
// reads exactly like the base.
type atomStore struct {
	same   bool
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

// has reports the bit (i, j) of port atom p.
func (st *store) has(p, i, j int) bool {
	a := &st.atoms[p]
	if !a.same {
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
	}
	return st.base.Has(i, j)
}

// row writes row i of port atom p into dst.
func (st *store) row(p, i int, dst graph.Set) {
	a := &st.atoms[p]
	if !a.same && a.rowIdx != nil {
		if k := a.rowIdx[i]; k >= 0 {
			dst.CopyFrom(a.rows[k])
			return
		}
	}
	dst.CopyFrom(st.base.Row(i))
	if !a.same && a.colIdx != nil {
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

// assembleStore builds one store from the egress and ingress sides: the
// base atom is eg AND inᵀ; every other atom keeps the rows of sources and
// the columns of destinations whose group differs from the base. Atoms
// whose groups agree for every class share one atomStore, and equal rows
// and columns are stored once.
func (e *engine) assembleStore(sides *sideSet, eg, in *graph.Matrix, pos bool, workers int) *store {
	nU := e.u.nU
	nA := len(e.ports)
	inT := in.Transpose()
	var egT *graph.Matrix
	st := &store{atoms: make([]atomStore, nA)}
	// Sources and destinations whose rows differ from the base, per atom,
	// and a signature of every class's groups per atom.
	rowsOf := make([][]int, nA)
	colsOf := make([][]int, nA)
	sig := make([]uint64, nA)
	for a := range sig {
		sig[a] = 14695981039346656037
	}
	mix := func(a int, x uint64) { sig[a] = (sig[a] ^ x) * 1099511628211 }
	for r := 0; r < e.u.nC; r++ {
		if g := sides.rows[policy.Egress][r].group; g != nil {
			for a, x := range g {
				if x != 0 {
					rowsOf[a] = append(rowsOf[a], r)
					mix(a, uint64(r)<<20|uint64(x))
				}
			}
		}
		if g := sides.rows[policy.Ingress][r].group; g != nil {
			for a, x := range g {
				if x != 0 {
					colsOf[a] = append(colsOf[a], r)
					mix(a, 1<<62|uint64(r)<<20|uint64(x))
				}
			}
		}
	}
	// Atoms with the same groups for every class have the same matrix.
	sameAs := make([]int, nA)
	first := map[uint64][]int{}
	for a := 0; a < nA; a++ {
		sameAs[a] = a
		for _, b := range first[sig[a]] {
			if e.sameGroups(sides, a, b, rowsOf, colsOf) {
				sameAs[a] = b
				break
			}
		}
		if sameAs[a] == a {
			first[sig[a]] = append(first[sig[a]], a)
		}
	}
	for a := range e.ports {
		if sameAs[a] == a && len(colsOf[a]) > 0 {
			egT = eg.Transpose()
			break
		}
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
				a := int(next.Add(1) - 1)
				if a >= nA {
					return
				}
				if sameAs[a] != a {
					continue
				}
				R, C := rowsOf[a], colsOf[a]
				as := &st.atoms[a]
				if len(R) == 0 && len(C) == 0 {
					as.same = true
					continue
				}
				if len(R) > 0 {
					as.rowIdx = newIndex(nU)
					for _, r := range R {
						row := graph.NewSet(nU)
						row.CopyFrom(inT.Row(r))
						for _, c := range C {
							if inRow(a, c).Has(r) {
								row.Add(c)
							} else {
								row.Remove(c)
							}
						}
						row.And(egRow(a, r))
						as.rowIdx[r] = int32(len(as.rows))
						as.rows = append(as.rows, intern.intern(row))
					}
				}
				if len(C) > 0 {
					as.colIdx = newIndex(nU)
					for _, c := range C {
						col := graph.NewSet(nU)
						col.CopyFrom(egT.Row(c))
						for _, r := range R {
							if egRow(a, r).Has(c) {
								col.Add(r)
							} else {
								col.Remove(r)
							}
						}
						col.And(inRow(a, c))
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

// sameGroups reports whether port atoms a and b put every class in the
// same egress and ingress groups.
func (e *engine) sameGroups(sides *sideSet, a, b int, rowsOf, colsOf [][]int) bool {
	if len(rowsOf[a]) != len(rowsOf[b]) || len(colsOf[a]) != len(colsOf[b]) {
		return false
	}
	for d := range sides.rows {
		for r := 0; r < e.u.nC; r++ {
			if g := sides.rows[d][r].group; g != nil && g[a] != g[b] {
				return false
			}
		}
	}
	return true
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
