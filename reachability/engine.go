package reachability

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netreach/netreach/graph"
	"github.com/netreach/netreach/policy"
)

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
}

type compiledPolicy struct {
	subject graph.Set
	applies [2]bool
	rules   [2][]compiledRule
}

type compiledTier struct {
	passByDefault bool
	policies      []compiledPolicy
}

// engine holds everything the row evaluation reads; it is read-only once
// built, so workers share it.
type engine struct {
	prog    *policy.Program
	comp    *compiler
	u       universe
	ports   []PortAtom
	tiers   []compiledTier
	named   map[namedKey]graph.Set // pod classes with a named container port
	famCols [2][2]graph.Set        // [v4Capable][family]: columns whose flow with the row uses that family
	cond    bool                   // some rule is conditional
	opts    Options
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
	// RowsEvaluated and RowsCopied count the (row, port atom) pairs of both
	// sides evaluated, and copied from a previous matrix by an update.
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
	byNode := len(s.Nodes) > 0
	for _, ep := range s.Endpoints {
		if ep.HostNetwork {
			byNode = true
		}
	}
	var classOf []int
	e.u.classes, classOf = buildClasses(s.Endpoints, e.u.atoms, byNode)
	e.u.nC = len(e.u.classes)
	e.u.nU = e.u.nC + len(e.u.atoms)
	e.ports = portAtoms(prog, s.Endpoints)
	st.Classify = time.Since(t0)

	t0 = time.Now()
	e.comp = newCompiler(&e.u, s, prog)
	e.compile(e.comp, prog, &st)
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

func (e *engine) compile(c *compiler, prog *policy.Program, st *Stats) {
	e.named = map[namedKey]graph.Set{}
	names := map[string]bool{}
	for _, t := range prog.Tiers {
		ct := compiledTier{passByDefault: t.DefaultAction == policy.ActionPass}
		for _, p := range t.Policies {
			st.Policies++
			cp := compiledPolicy{subject: c.subject(&p.Subject), applies: p.Applies}
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
					for _, m := range append(append([]policy.PortMatch(nil), r.Dst.Ports...), r.Dst.NotPorts...) {
						if m.Name != "" {
							names[m.Name] = true
						}
					}
					cp.rules[d] = append(cp.rules[d], cr)
				}
			}
			ct.policies = append(ct.policies, cp)
		}
		e.tiers = append(e.tiers, ct)
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
	for i, cl := range e.u.classes {
		if cl.host || cl.rep.Node == "" {
			continue
		}
		for j, h := range e.u.classes {
			if h.host && h.rep.Node == cl.rep.Node {
				e.ownNode[i] = append(e.ownNode[i], j)
			}
		}
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
	mask, tmp, ports  graph.Set
}

func (e *engine) newWorker() *worker {
	n := e.u.nU
	return &worker{e: e, undecided: graph.NewSet(n), passed: graph.NewSet(n), mask: graph.NewSet(n), tmp: graph.NewSet(n), ports: graph.NewSet(n)}
}

// sides are the egress and ingress matrices of one port atom, before they
// are combined: eg[src][dst] and in[dst][src]. The pos matrices exist only
// when some rule is conditional.
type sides struct {
	eg, in, egPos, inPos *graph.Matrix
}

// rowSource supplies, for an incremental update, the rows that need no
// evaluation: copy returns false when row r of port atom a must be
// evaluated, and otherwise fills the row from the previous matrix.
type rowSource interface {
	copy(r, a int, s *sides) bool
}

// run evaluates the rows of every port atom (all of them, or those src
// cannot copy) and combines the egress and ingress sides. With
// Options.KeepSides the sides are kept in m for later updates.
func (e *engine) run(ctx context.Context, m *Matrix, src rowSource) error {
	workers := e.opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	nU := e.u.nU
	m.def = make([]*graph.Matrix, len(e.ports))
	if e.cond {
		m.pos = make([]*graph.Matrix, len(e.ports))
	}
	if e.opts.KeepSides {
		m.sides = make([]sides, len(e.ports))
	}
	var rowsTime, transTime time.Duration
	for a := range e.ports {
		if err := ctx.Err(); err != nil {
			return err
		}
		t0 := time.Now()
		s := sides{eg: graph.NewMatrix(nU, nU), in: graph.NewMatrix(nU, nU)}
		if e.cond {
			s.egPos, s.inPos = graph.NewMatrix(nU, nU), graph.NewMatrix(nU, nU)
		}
		var wg sync.WaitGroup
		chunk := (nU + workers - 1) / workers
		for w := 0; w < workers; w++ {
			lo, hi := w*chunk, min((w+1)*chunk, nU)
			if lo >= hi {
				break
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				wk := e.newWorker()
				var copied, evaluated int64
				for r := lo; r < hi; r++ {
					if src != nil && src.copy(r, a, &s) {
						copied++
						continue
					}
					wk.fillRows(r, a, s.eg, s.in, s.egPos, s.inPos)
					evaluated++
				}
				atomic.AddInt64(&m.stats.RowsCopied, copied)
				atomic.AddInt64(&m.stats.RowsEvaluated, evaluated)
			}()
		}
		wg.Wait()
		rowsTime += time.Since(t0)
		t0 = time.Now()
		if e.opts.KeepSides {
			m.sides[a] = s
			def := s.eg.Clone()
			def.AndTransposeOf(s.in)
			m.def[a] = def
			if e.cond {
				pos := s.egPos.Clone()
				pos.AndTransposeOf(s.inPos)
				m.pos[a] = pos
			}
		} else {
			s.eg.AndTransposeOf(s.in)
			m.def[a] = s.eg
			if e.cond {
				s.egPos.AndTransposeOf(s.inPos)
				m.pos[a] = s.egPos
			}
		}
		transTime += time.Since(t0)
	}
	m.stats.Rows, m.stats.Transpose = rowsTime, transTime
	return nil
}

// fillRows computes row r of the egress and ingress matrices of port atom
// a. Rows of entries that are not policy subjects allow everything.
func (w *worker) fillRows(r, a int, egDef, inDef, egPos, inPos *graph.Matrix) {
	e := w.e
	nU := e.u.nU
	if r >= e.u.nC || e.u.classes[r].host {
		egDef.Row(r).Fill(nU)
		inDef.Row(r).Fill(nU)
		if egPos != nil {
			egPos.Row(r).Fill(nU)
			inPos.Row(r).Fill(nU)
		}
		return
	}
	for d := policy.Ingress; d <= policy.Egress; d++ {
		def, pos := inDef, inPos
		if d == policy.Egress {
			def, pos = egDef, egPos
		}
		w.side(d, r, a, false, def.Row(r))
		if pos != nil {
			w.side(d, r, a, true, pos.Row(r))
			// Allowed for sure only when allowed either way; possibly
			// allowed when allowed either way (the verdict is monotone in
			// each condition because conditional rules are Allow rules).
			pr, dr := pos.Row(r), def.Row(r)
			w.tmp.CopyFrom(dr)
			dr.And(pr)
			pr.Or(w.tmp)
		}
		for _, j := range e.ownNode[r] {
			if d == policy.Ingress || e.opts.OwnNodeEgressUnpoliced {
				def.Set(r, j)
				if pos != nil {
					pos.Set(r, j)
				}
			}
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
	for ti := range e.tiers {
		t := &e.tiers[ti]
		applied := false
		P.Clear()
		for pi := range t.policies {
			p := &t.policies[pi]
			if !p.applies[d] || !p.subject.Has(s) {
				continue
			}
			applied = true
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
		if !applied {
			continue
		}
		if t.passByDefault {
			U.Or(P)
		} else {
			U.CopyFrom(P)
		}
	}
	out.Or(U) // profile / default: allow
}

// ruleMask sets w.mask to the peers (columns) for which rule r matches the
// flow between subject class s and the peer on port atom a, and reports
// whether any column matched.
func (w *worker) ruleMask(r *compiledRule, d policy.Direction, s, a int) bool {
	e := w.e
	at := e.ports[a]
	if r.proto != policy.AnyProtocol && r.proto != at.Protocol {
		return false
	}
	if r.notProto != policy.AnyProtocol && r.notProto == at.Protocol {
		return false
	}
	m := w.mask
	m.Clear()
	capable := 0
	if e.u.classes[s].v4 {
		capable = 1
	}
	any := false
	for f := 0; f < 2; f++ {
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
			if !w.applyPorts(w.tmp, r, at) {
				continue
			}
		} else {
			if !r.dstAny && !r.dstSet[f].Has(s) {
				continue
			}
			if !e.portOK(r, s, at) {
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
