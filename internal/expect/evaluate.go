package expect

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/netreach/netreach/internal/exposure"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// Options tune [Expectations.Evaluate] and [Golden.Compare]. The zero
// value gives the defaults.
type Options struct {
	// MaxExamples limits the offending flows kept per rule (the count of
	// all of them is kept anyway); 0 means 10, a negative value keeps all.
	MaxExamples int
}

func (o Options) maxExamples() int {
	switch {
	case o.MaxExamples == 0:
		return 10
	case o.MaxExamples < 0:
		return int(^uint(0) >> 1)
	}
	return o.MaxExamples
}

// Status is the outcome of one rule.
type Status uint8

// Statuses.
const (
	// Pass: the rule holds.
	Pass Status = iota
	// Fail: at least one selected flow has a verdict the rule forbids.
	Fail
	// Error: the rule cannot be evaluated on this matrix, for example
	// because a selection picks nothing (it would pass silently
	// otherwise).
	Error
)

// String returns "pass", "fail" or "error".
func (s Status) String() string {
	switch s {
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	case Error:
		return "error"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText returns the status as String does.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Result is the outcome of one rule on one matrix.
type Result struct {
	Rule   *Rule
	Status Status
	// Err says why a rule could not be evaluated (Status Error).
	Err error
	// Pairs is the number of (source, destination) pairs checked; a pod
	// and itself, pairs of two addresses and, for isolate, pairs that an
	// exception exempts entirely are not checked.
	Pairs int
	// FailedPairs is the number of pairs with at least one violation.
	FailedPairs int
	// NumViolations is the number of offending flows; Violations holds
	// the first Options.MaxExamples of them, in source, destination and
	// port order.
	NumViolations int
	Violations    []Violation
	// Trace explains the first violation, as `netreach explain` would.
	Trace *reachability.Trace
	// Path explains the first violation instead of Trace when it involves
	// an entry of the access model ({internet}, {ingress-controller}, a
	// Service): the hops of its path, one per line.
	Path []string
	// Cause is what made the first violation happen, when the trace
	// names it: for an unwanted allow the rule (or unprotected endpoint)
	// that allowed it, for a missing allow the rule or policy that denied
	// it.
	Cause *Cause
	// Location is where to report the result: for an unwanted allow the
	// cause, when it is known; otherwise, and for a missing allow, the
	// rule itself (an Error is located at the offending part of the rule).
	Location policy.Location
	// NewPod is the pod that could be created and would break the rule
	// (rules with newPods): the first violation's new end.
	NewPod *exposure.Pod
}

// Violation is one offending flow: from Src to Dst on Protocol, ports
// Lo..Hi (0..0 for protocols without ports), with the verdict the rule
// forbids.
type Violation struct {
	Src, Dst string
	Protocol policy.Protocol
	Lo, Hi   uint16
	Verdict  reachability.Verdict
}

// Ports returns "80/TCP", "1-79/TCP" or "ICMP".
func (v Violation) Ports() string {
	return reachability.PortAtom{Protocol: v.Protocol, Lo: v.Lo, Hi: v.Hi}.String()
}

// String returns "src -> dst 80/TCP: allow".
func (v Violation) String() string {
	return v.Src + " -> " + v.Dst + " " + v.Ports() + ": " + v.Verdict.String()
}

// Cause is the policy rule, policy or endpoint that decided an offending
// flow.
type Cause struct {
	// Location is the rule's place in its file, else the policy's, else
	// the endpoint's (for an endpoint that no policy selects).
	Location policy.Location
	// Policy is the policy that decided; zero when no policy did.
	Policy policy.ObjectRef
	// Direction is the side that decided.
	Direction policy.Direction
	// Rule is the index of the deciding rule in its direction's list, or
	// -1 when no single rule decided.
	Rule int
	// Text says what happened, in words.
	Text string
}

// Evaluate checks every rule against the matrix and returns one result per
// rule, in file order. Flows are read from the matrix; the reference
// evaluator (with the matrix's snapshot and options) explains the first
// violation of each failing rule. It costs O(pairs × port atoms) per rule.
//
// A rule that names a layer is checked against that layer's matrix
// (computed once, see [reachability.Matrix.ComputeLayers]); naming the mesh
// layer when the mesh is off is an error.
func (x *Expectations) Evaluate(m *reachability.Matrix, opts Options) []Result {
	res, _ := x.EvaluateContext(context.Background(), m, opts)
	return res
}

// EvaluateContext is [Expectations.Evaluate] with a context: when ctx is
// cancelled it stops within a few thousand pairs of a rule and returns
// ctx's error.
func (x *Expectations) EvaluateContext(ctx context.Context, m *reachability.Matrix, opts Options) ([]Result, error) {
	if m == nil {
		return nil, &policy.InvalidInputError{Op: "expect: Evaluate", Reason: "nil matrix"}
	}
	worlds := map[reachability.Layer]*world{reachability.LayerCombined: newWorld(m)}
	worlds[reachability.LayerCombined].ctx = ctx
	var layers *reachability.Layers
	var layersErr error
	ev := reachability.NewEvaluator(m.Snapshot(), m.Options())
	out := make([]Result, 0, len(x.Rules))
	for _, r := range x.Rules {
		w := worlds[r.Layer]
		if w == nil {
			if layers == nil && layersErr == nil {
				layers, layersErr = m.ComputeLayers(ctx)
			}
			var lm *reachability.Matrix
			if layersErr == nil {
				lm = layers.Matrix(r.Layer)
			}
			if lm == nil {
				err := layersErr
				if err == nil {
					err = fmt.Errorf("layer %s: the service-mesh layer is off (no Istio AuthorizationPolicy or PeerAuthentication in the input, or --mesh=off)", r.Layer)
				}
				out = append(out, Result{Rule: r, Location: r.Source, Status: Error, Err: err})
				continue
			}
			w = newWorld(lm)
			w.ctx = ctx
			worlds[r.Layer] = w
		}
		res := w.evaluate(r, ev, opts.maxExamples())
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if res.Status == Pass && r.usesNewPods() {
			res = w.evaluateNewPods(x, r, res, opts.maxExamples())
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
		out = append(out, res)
	}
	return out, nil
}

// selectsWhat names what a selection picks, for messages.
func selectsWhat(s *Selection) string {
	if s.selectsDerived() {
		return "entry: the matrix has {internet} and Service entries when the input has a Service, an Ingress or a route, and {ingress-controller} when it has an Ingress or a route (and they are computed with the access model)"
	}
	return "endpoint or address"
}

// errSelect is a rule that cannot be evaluated, located.
type errSelect struct {
	loc policy.Location
	err error
}

func (w *world) evaluate(r *Rule, ev *reachability.Evaluator, max int) Result {
	res := Result{Rule: r, Location: r.Source}
	c := &collector{max: max}
	var err *errSelect
	if r.Kind == Isolate {
		err = w.checkIsolation(r.Isolate, r.Source, c)
	} else {
		err = w.checkFlows(r, c)
	}
	if err != nil {
		res.Status, res.Err, res.Location = Error, err.err, err.loc
		return res
	}
	res.Pairs, res.FailedPairs, res.NumViolations, res.Violations = c.pairs, c.failedPairs, c.num, c.examples
	if c.num == 0 {
		return res
	}
	res.Status = Fail
	f := c.first
	if f.src.derived || f.dst.derived {
		// The access model decides it: its path explains it.
		res.Path = w.m.ExplainDerived(f.src.entry, f.dst.entry, w.m.PortAtomIndex(f.v.Protocol, f.v.Lo))
		return res
	}
	_, res.Trace = ev.Evaluate(reachability.Flow{Src: f.src.entity(), Dst: f.dst.entity(), Protocol: f.v.Protocol, Port: f.v.Lo})
	res.Cause = causeOf(res.Trace, r.Kind != Allow)
	if r.Kind != Allow && res.Cause != nil && res.Cause.Location.IsValid() {
		res.Location = res.Cause.Location
	}
	return res
}

// evaluateNewPods checks a rule that passed on the existing endpoints
// against the pods that could be created.
func (w *world) evaluateNewPods(x *Expectations, r *Rule, res Result, max int) Result {
	if w.m.MeshMode() == reachability.MeshIstio {
		res.Status, res.Err = Error, errors.New("newPods is checked against network policy alone (the exposure analysis does not model the service mesh): add layer: network to the rule")
		return res
	}
	an, err := w.newPodsAnalysis(x)
	if err != nil {
		res.Status, res.Err = Error, err
		return res
	}
	c := &collector{max: max}
	var es *errSelect
	if r.Kind == Isolate {
		es = w.checkNewPodIsolation(an, r.Isolate, c)
	} else {
		es = w.checkNewPodFlows(an, r, c)
	}
	if es != nil {
		res.Status, res.Err = Error, es.err
		if es.loc.IsValid() {
			res.Location = es.loc
		}
		return res
	}
	res.Pairs += c.pairs
	res.FailedPairs, res.NumViolations, res.Violations = c.failedPairs, c.num, c.examples
	if c.num == 0 {
		return res
	}
	res.Status = Fail
	res.NewPod = c.newPod
	if t, err := w.newPodTrace(an, c); err == nil {
		res.Trace = t
		res.Cause = causeOf(t, true)
		if res.Cause != nil && res.Cause.Location.IsValid() {
			res.Location = res.Cause.Location
		}
	}
	return res
}

// collector gathers violations pair by pair, merging adjacent port ranges
// of one pair with the same verdict.
type collector struct {
	max                     int
	pairs, failedPairs, num int
	examples                []Violation
	first                   struct {
		src, dst item
		v        Violation
	}
	// The first violation's new pod, when it is one.
	newPod     *exposure.Pod
	newPodPeer item
	newPodDir  policy.Direction
	cur        []Violation // violations of the current pair
}

// pair checks one pair: for each piece, bad reports whether its verdict
// breaks the rule.
func (c *collector) pair(w *world, src, dst item, pieces []piece, bad func(reachability.Verdict) bool) {
	c.pairs++
	c.cur = c.cur[:0]
	for _, p := range pieces {
		v := w.verdict(src, dst, p)
		if !bad(v) {
			continue
		}
		if n := len(c.cur); n > 0 {
			last := &c.cur[n-1]
			if last.Protocol == p.proto && last.Verdict == v && p.proto.HasPorts() && uint32(last.Hi)+1 == uint32(p.lo) {
				last.Hi = p.hi
				continue
			}
		}
		c.cur = append(c.cur, Violation{Src: src.name, Dst: dst.name, Protocol: p.proto, Lo: p.lo, Hi: p.hi, Verdict: v})
	}
	if len(c.cur) == 0 {
		return
	}
	if c.num == 0 {
		c.first.src, c.first.dst, c.first.v = src, dst, c.cur[0]
	}
	c.failedPairs++
	c.num += len(c.cur)
	for _, v := range c.cur {
		if len(c.examples) < c.max {
			c.examples = append(c.examples, v)
		}
	}
}

// checkEvery is how many destinations (or endpoints) a loop of the
// evaluation handles between two looks at its context.
const checkEvery = 1024

// cancelled returns the error of the evaluation's context when it is
// cancelled.
func (w *world) cancelled() error {
	if w.ctx == nil {
		return nil
	}
	return w.ctx.Err()
}

// checkFlows evaluates an allow or deny rule.
func (w *world) checkFlows(r *Rule, c *collector) *errSelect {
	// A selection with newPods may select no existing endpoint: it stands
	// for the pods that could be created (newpods.go).
	srcs := w.selectItems(r.From)
	if err := w.cancelled(); err != nil {
		return &errSelect{r.Source, err}
	}
	if len(srcs) == 0 && !r.From.NewPods {
		return &errSelect{r.From.Source, fmt.Errorf("from %s selects no %s", r.From, selectsWhat(r.From))}
	}
	dsts := w.selectItems(r.To)
	if err := w.cancelled(); err != nil {
		return &errSelect{r.Source, err}
	}
	if len(dsts) == 0 && !r.To.NewPods {
		return &errSelect{r.To.Source, fmt.Errorf("to %s selects no %s", r.To, selectsWhat(r.To))}
	}
	bad := func(v reachability.Verdict) bool { return v != reachability.Deny }
	if r.Kind == Allow {
		bad = func(v reachability.Verdict) bool { return v != reachability.Allow }
	}
	cache := map[interval][]piece{}
	dstPieces := make([][]piece, len(dsts))
	for k, d := range dsts {
		if k%checkEvery == 0 {
			if err := w.cancelled(); err != nil {
				return &errSelect{r.Source, err}
			}
		}
		for _, iv := range resolve(r.Ports, d.ep, w.atoms) {
			ps, ok := cache[iv]
			if !ok {
				ps = w.piecesOf(iv)
				cache[iv] = ps
			}
			dstPieces[k] = append(dstPieces[k], ps...)
		}
	}
	for _, s := range srcs {
		if err := w.cancelled(); err != nil {
			return &errSelect{r.Source, err}
		}
		for k, d := range dsts {
			if k%checkEvery == checkEvery-1 {
				if err := w.cancelled(); err != nil {
					return &errSelect{r.Source, err}
				}
			}
			// Skip a pod and itself, two addresses, and destinations
			// that do not declare a named port of the rule.
			if s.entry == d.entry || s.ep == nil && d.ep == nil && !s.derived && !d.derived || len(dstPieces[k]) == 0 {
				continue
			}
			// A derived entry has one side only ({internet} is a source,
			// a Service a destination) and is never paired with an
			// address.
			if (s.derived || d.derived) && !w.m.IsPair(s.entry, d.entry) {
				continue
			}
			c.pair(w, s, d, dstPieces[k], bad)
		}
	}
	if c.pairs == 0 && !r.usesNewPods() {
		msg := "selects no flow: every selected pair is an endpoint and itself, or two addresses"
		if r.From.selectsDerived() || r.To.selectsDerived() {
			msg = "selects no flow: {internet} and {ingress-controller} are only sources, Services only destinations, and neither is paired with an address"
		}
		if hasNamed(r.Ports) {
			msg = fmt.Sprintf("selects no flow: no selected destination declares a container port named as in ports (%s)", portsString(r.Ports))
		}
		return &errSelect{r.Source, errors.New(msg)}
	}
	return nil
}

// checkIsolation evaluates the tenancy shorthand: every pair of endpoints
// whose namespaces have different values of the label (no label is one
// more value) must be denied on every port an exception does not exempt.
func (w *world) checkIsolation(iso *Isolation, at policy.Location, c *collector) *errSelect {
	group := map[string]string{}
	labelled := false
	for _, ns := range w.snap.Namespaces {
		v, ok := ns.Labels[iso.NamespacesBy]
		if ok {
			labelled = true
			group[ns.Name] = "=" + v
		} else {
			group[ns.Name] = "" // the unlabelled namespaces
		}
	}
	if !labelled {
		return &errSelect{at, fmt.Errorf("isolate: no namespace has the label %s, so there is nothing to isolate", iso.NamespacesBy)}
	}
	// Which endpoints each exception's selections match.
	type exc struct {
		from, to []bool // per endpoint entry; nil means any
		ex       *Exception
	}
	n := w.m.NumEndpoints()
	excs := make([]exc, len(iso.Except))
	for k := range iso.Except {
		ex := &iso.Except[k]
		excs[k].ex = ex
		for side, sel := range []*Selection{ex.From, ex.To} {
			if sel == nil {
				continue
			}
			if side == 1 && ex.Either {
				excs[k].to = excs[k].from
				continue
			}
			match := make([]bool, n)
			set, any := sel.addressSet(), false
			for i := 0; i < n; i++ {
				if i%checkEvery == 0 {
					if err := w.cancelled(); err != nil {
						return &errSelect{at, err}
					}
				}
				match[i] = w.matches(sel, set, w.m.Endpoint(i))
				any = any || match[i]
			}
			if !any {
				return &errSelect{sel.Source, fmt.Errorf("isolate exception %s selects no endpoint", sel)}
			}
			if side == 0 {
				excs[k].from = match
			} else {
				excs[k].to = match
			}
		}
	}
	bad := func(v reachability.Verdict) bool { return v != reachability.Deny }
	all := make([]piece, 0, len(w.atoms))
	for _, iv := range w.atoms {
		all = append(all, w.piecesOf(iv)...)
	}
	var exempt []interval
	for i := 0; i < n; i++ {
		src := w.endpointItem(i)
		for j := 0; j < n; j++ {
			if j%checkEvery == 0 {
				if err := w.cancelled(); err != nil {
					return &errSelect{at, err}
				}
			}
			dst := w.endpointItem(j)
			if i == j || group[src.ep.Namespace] == group[dst.ep.Namespace] {
				continue
			}
			exempt = exempt[:0]
			whole := false
			for _, e := range excs {
				var hit bool
				if e.ex.Either {
					hit = e.from[i] || e.from[j]
				} else {
					hit = (e.from == nil || e.from[i]) && (e.to == nil || e.to[j])
				}
				if !hit {
					continue
				}
				if len(e.ex.Ports) == 0 {
					whole = true
					break
				}
				exempt = append(exempt, resolve(e.ex.Ports, dst.ep, nil)...)
			}
			if whole {
				continue
			}
			pieces := all
			if len(exempt) > 0 {
				pieces = subtract(all, exempt)
			}
			c.pair(w, src, dst, pieces, bad)
		}
	}
	return nil
}

// subtract removes the exempt intervals from the pieces.
func subtract(pieces []piece, exempt []interval) []piece {
	var out []piece
	for _, p := range pieces {
		rest := []piece{p}
		for _, e := range exempt {
			if e.proto != p.proto {
				continue
			}
			var next []piece
			for _, r := range rest {
				if !p.proto.HasPorts() || e.lo <= r.lo && r.hi <= e.hi {
					continue // wholly exempt
				}
				if e.hi < r.lo || e.lo > r.hi {
					next = append(next, r)
					continue
				}
				if r.lo < e.lo {
					next = append(next, piece{r.atom, r.proto, r.lo, e.lo - 1})
				}
				if e.hi < r.hi {
					next = append(next, piece{r.atom, r.proto, e.hi + 1, r.hi})
				}
			}
			rest = next
		}
		out = append(out, rest...)
	}
	return out
}

// causeOf finds what decided an offending flow in its trace. For an
// unwanted allow (allowed true) it is the rule that allowed, the ingress
// side first; failing that, an endpoint that no policy selects. For a
// missing allow it is the rule or isolating policy that denied, the egress
// side first, or the rule that made the flow conditional.
func causeOf(t *reachability.Trace, allowed bool) *Cause {
	if t == nil {
		return nil
	}
	sides := []*reachability.SideTrace{&t.Egress, &t.Ingress}
	if allowed {
		sides = []*reachability.SideTrace{&t.Ingress, &t.Egress}
		for _, s := range sides {
			if s.Verdict != reachability.Deny && s.Decision == reachability.ByRule && s.Decider != nil {
				return ruleCause(s, "allows")
			}
		}
		for _, s := range sides {
			if s.Verdict == reachability.Deny {
				continue
			}
			switch s.Decision {
			case reachability.NotSelected, reachability.Profile, reachability.DefaultAllow:
				ep := t.Flow.Dst.Endpoint
				if s.Direction == policy.Egress {
					ep = t.Flow.Src.Endpoint
				}
				if ep == nil {
					continue
				}
				return &Cause{Location: ep.Source, Direction: s.Direction, Rule: -1,
					Text: fmt.Sprintf("%s %s: %s", ep.Kind, ep.ID(), s.Decision)}
			}
		}
		return nil
	}
	for _, s := range sides {
		if s.Verdict != reachability.Deny {
			continue
		}
		switch s.Decision {
		case reachability.ByRule:
			if s.Decider != nil {
				return ruleCause(s, "denies")
			}
		case reachability.Isolated, reachability.EndOfTier:
			for _, st := range s.Stages {
				for _, p := range st.Policies {
					if p.Selected {
						return &Cause{Location: p.Policy.Source, Policy: p.Policy, Direction: s.Direction, Rule: -1,
							Text: fmt.Sprintf("%s selects %s for %s and no rule allows it (%s)", p.Policy, s.Subject, s.Direction, s.Decision)}
					}
				}
			}
		}
	}
	for _, s := range sides {
		if s.Verdict == reachability.Conditional && s.Decider != nil {
			return ruleCause(s, "allows only conditionally")
		}
	}
	return nil
}

// ruleCause describes the deciding rule of a side.
func ruleCause(s *reachability.SideTrace, verb string) *Cause {
	d := s.Decider
	loc := d.Source
	if !loc.IsValid() {
		loc = d.Policy.Source
	}
	return &Cause{Location: loc, Policy: d.Policy, Direction: s.Direction, Rule: d.Index,
		Text: fmt.Sprintf("%s rule %d (%s) of %s %s it", s.Direction, d.Index, d.Action, d.Policy, verb)}
}
