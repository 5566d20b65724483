package expect

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/netreach/netreach/internal/exposure"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/internal/selector"
)

// This file checks expectations over pods that do not exist yet: a
// selection with newPods stands also for every pod that could be created
// in the namespaces it matches, and an isolation with newPods covers every
// pod that could be created anywhere. The exposure analysis
// (docs/exposure.md) answers exactly whether some such pod breaks the
// rule, and gives one that does: its namespace, labels, service account,
// node, address and ports.
//
// What a new pod may be: any labels its selection's podSelector and
// selector allow; in the input's namespaces the selection's namespace
// names or namespaceSelector match, and, when the selection names no
// namespace, in any new namespace whose labels its namespaceSelector
// matches (namespace names and globs only ever select the input's
// namespaces). Only one new pod is considered at a time: flows between
// two new pods, and between a new pod and addresses outside the cluster,
// are not checked.

// checkNewPods validates where a rule uses newPods.
func (p *parser) checkNewPods(at string, r *Rule) {
	if r.From == nil || r.To == nil || !r.From.NewPods && !r.To.NewPods {
		return
	}
	switch {
	case r.Kind != Deny:
		p.errorf(at+".expect", "newPods is supported in deny rules and isolate: a rule that expects allow would need every new pod to connect")
	case r.From.NewPods && r.To.NewPods:
		p.errorf(at+".to.newPods", "newPods on both from and to: flows between two new pods are not checked; keep it on one side")
	case r.To.NewPods && hasNamed(r.Ports):
		p.errorf(at+".ports", "a named port resolves on the new pod, which may name any port: give numbers")
	}
}

// usesNewPods reports whether a rule needs the exposure analysis.
func (r *Rule) usesNewPods() bool {
	switch r.Kind {
	case Isolate:
		return r.Isolate.NewPods
	case Deny:
		return r.From.NewPods || r.To.NewPods
	}
	return false
}

// newPodsQuery returns the query of the new pods a selection stands for;
// ok is false when it stands for none (namespace names that match none of
// the input's namespaces).
func (w *world) newPodsQuery(s *Selection) (q exposure.Query, ok bool) {
	q = exposure.Query{NewNamespaces: len(s.Namespaces) == 0, NamespaceSelector: s.NamespaceSelector, PodSelector: s.PodSelector, Selector: s.Selector}
	if len(s.Namespaces) > 0 {
		for _, ns := range w.snap.Namespaces {
			if anyGlob(s.Namespaces, ns.Name) {
				q.Namespaces = append(q.Namespaces, ns.Name)
			}
		}
		if len(q.Namespaces) == 0 {
			return q, false
		}
	}
	return q, true
}

// isolationGroups returns the namespaces' group values of an isolation
// ("=v" for label value v, "" for no label).
func (w *world) isolationGroups(iso *Isolation) map[string]string {
	group := map[string]string{}
	for _, ns := range w.snap.Namespaces {
		if v, ok := ns.Labels[iso.NamespacesBy]; ok {
			group[ns.Name] = "=" + v
		} else {
			group[ns.Name] = ""
		}
	}
	return group
}

// otherGroups returns the query of the pods whose namespace is not in
// group g: a different value of the label, or none when g has one.
func otherGroups(iso *Isolation, g string) exposure.Query {
	var sel selector.Selector
	if g == "" {
		sel = selector.MustParse("has(" + iso.NamespacesBy + ")")
	} else {
		sel = selector.MustParse(iso.NamespacesBy + " != '" + strings.TrimPrefix(g, "=") + "'")
	}
	return exposure.Query{NewNamespaces: true, NamespaceSelector: &sel}
}

// queries returns every query the rules will ask, for the analysis.
func (w *world) queries(x *Expectations) []exposure.Query {
	var out []exposure.Query
	add := func(s *Selection) {
		if s == nil {
			return
		}
		if q, ok := w.newPodsQuery(s); ok {
			out = append(out, q)
		}
	}
	for _, r := range x.Rules {
		if !r.usesNewPods() {
			continue
		}
		if r.Kind == Deny {
			if r.From.NewPods {
				add(r.From)
			} else {
				add(r.To)
			}
			continue
		}
		seen := map[string]bool{}
		for _, g := range w.isolationGroups(r.Isolate) {
			if !seen[g] {
				seen[g] = true
				out = append(out, otherGroups(r.Isolate, g))
			}
		}
		for _, e := range r.Isolate.Except {
			add(e.From)
			add(e.To)
		}
	}
	return out
}

// newPodsAnalysis runs the exposure analysis the rules need, once.
func (w *world) newPodsAnalysis(x *Expectations) (*exposure.Analysis, error) {
	if w.analysis != nil || w.analysisErr != nil {
		return w.analysis, w.analysisErr
	}
	w.analysis, w.analysisErr = exposure.Analyze(context.Background(), w.snap, exposure.Options{Reach: w.m.Options(), Queries: w.queries(x)})
	return w.analysis, w.analysisErr
}

// connectionsOf returns the connections of concrete port intervals.
func (w *world) connectionsOf(ivs []interval) reachability.Connections {
	c := reachability.NoConnections(reachability.ScopeAllProtocols)
	for _, iv := range ivs {
		if iv.proto.HasPorts() {
			c = c.WithPorts(iv.proto, max(iv.lo, 1), iv.hi)
		} else {
			c = c.WithProtocol(iv.proto)
		}
	}
	return c
}

// newPodsViolation records a witness as violations of the pair (new pod,
// endpoint) and remembers it.
func (w *world) newPodsViolation(c *collector, wit exposure.Witness, ep item, dir policy.Direction) {
	newPod := item{entry: -1, name: "new " + wit.Pod.String()}
	src, dst := newPod, ep
	if dir == policy.Egress {
		src, dst = ep, newPod
	}
	c.pairs++
	var vs []Violation
	add := func(conn reachability.Connections, v reachability.Verdict) {
		for _, r := range conn.Ranges() {
			vs = append(vs, Violation{Src: src.name, Dst: dst.name, Protocol: r.Protocol, Lo: r.Lo, Hi: r.Hi, Verdict: v})
		}
		for _, p := range conn.Protocols() {
			vs = append(vs, Violation{Src: src.name, Dst: dst.name, Protocol: p, Verdict: v})
		}
	}
	add(wit.Allowed, reachability.Allow)
	add(wit.Conditional, reachability.Conditional)
	if len(vs) == 0 {
		return
	}
	if c.num == 0 {
		c.newPod = &wit.Pod
		c.newPodPeer, c.newPodDir = ep, dir
		c.first.v = vs[0]
	}
	c.failedPairs++
	c.num += len(vs)
	for _, v := range vs {
		if len(c.examples) < c.max {
			c.examples = append(c.examples, v)
		}
	}
}

// checkNewPodFlows evaluates a deny rule with newPods on one side.
func (w *world) checkNewPodFlows(an *exposure.Analysis, r *Rule, c *collector) *errSelect {
	sel, other := r.From, r.To
	dir := policy.Ingress // the new pod connects to the other side
	if r.To.NewPods {
		sel, other, dir = r.To, r.From, policy.Egress
	}
	q, ok := w.newPodsQuery(sel)
	if !ok {
		return nil // no new pod: the existing endpoints were checked
	}
	for _, it := range w.selectItems(other) {
		if it.ep == nil {
			return &errSelect{other.Source, fmt.Errorf("%s selects addresses; flows between new pods and addresses are not checked: select endpoints only", other)}
		}
		ports := w.connectionsOf(resolve(r.Ports, it.ep, w.atoms))
		if dir == policy.Egress {
			ports = w.connectionsOf(resolve(r.Ports, nil, w.atoms))
		}
		wit, found, err := an.Find(q, it.entry, dir, ports, nil)
		switch {
		case err != nil:
			return &errSelect{r.Source, err}
		case found:
			w.newPodsViolation(c, wit, it, dir)
		default:
			c.pairs++
		}
	}
	return nil
}

// checkNewPodIsolation evaluates an isolation over new pods: no new pod in
// a namespace of another group (by the label; new namespaces included)
// may connect with an endpoint, either way, except as exempted.
func (w *world) checkNewPodIsolation(an *exposure.Analysis, iso *Isolation, c *collector) *errSelect {
	group := w.isolationGroups(iso)
	for i := 0; i < w.m.NumEndpoints(); i++ {
		ep := w.endpointItem(i)
		q := otherGroups(iso, group[ep.ep.Namespace])
		for _, dir := range []policy.Direction{policy.Ingress, policy.Egress} {
			except := w.exemptions(iso, ep, dir)
			all := w.connectionsOf(w.atoms)
			wit, found, err := an.Find(q, i, dir, all, except)
			if err != nil {
				return &errSelect{policy.Location{}, err}
			}
			if found {
				w.newPodsViolation(c, wit, ep, dir)
			} else {
				c.pairs++
			}
		}
	}
	return nil
}

// exemptions returns, for flows between endpoint ep and new pods in
// direction dir, the new pods an exception exempts on a group of ports:
// an exception exempts them when its other side matches ep and its ports
// (resolved on the destination; a named port never covers a new pod's
// ports) cover the whole group.
func (w *world) exemptions(iso *Isolation, ep item, dir policy.Direction) func(reachability.Connections) []exposure.Query {
	anyPod := exposure.Query{NewNamespaces: true}
	return func(conn reachability.Connections) []exposure.Query {
		var out []exposure.Query
		for k := range iso.Except {
			e := &iso.Except[k]
			if len(e.Ports) > 0 {
				var dstEP *policy.Endpoint
				if dir == policy.Ingress {
					dstEP = ep.ep
				}
				if !w.connectionsOf(resolve(e.Ports, dstEP, nil)).Intersect(conn).Equal(conn) {
					continue
				}
			}
			matches := func(s *Selection) bool { return s == nil || w.matches(s, s.addressSet(), ep.ep) }
			newSide := func(s *Selection) {
				if s == nil {
					out = append(out, anyPod)
				} else if q, ok := w.newPodsQuery(s); ok && !hasEndpointOnlyFields(s) {
					out = append(out, q)
				}
			}
			switch {
			case e.Either && matches(e.From):
				out = append(out, anyPod)
			case e.Either:
				newSide(e.From)
			case dir == policy.Ingress && matches(e.To):
				newSide(e.From)
			case dir == policy.Egress && matches(e.From):
				newSide(e.To)
			}
		}
		return out
	}
}

// hasEndpointOnlyFields reports whether a selection names pods, workloads
// or addresses, which no new pod has.
func hasEndpointOnlyFields(s *Selection) bool {
	return len(s.Pods) > 0 || len(s.Workloads) > 0 || len(s.CIDRs) > 0
}

// newPodTrace explains the first counterexample with the reference
// evaluator, on the snapshot with the new pod added.
func (w *world) newPodTrace(an *exposure.Analysis, c *collector) (*reachability.Trace, error) {
	snap, pod, err := an.SnapshotWith(*c.newPod)
	if err != nil {
		return nil, err
	}
	var peer *policy.Endpoint
	for _, e := range snap.Endpoints {
		if e.ID() == c.newPodPeer.ep.ID() {
			peer = e
		}
	}
	if peer == nil {
		return nil, errors.New("the new pod's peer is missing")
	}
	f := reachability.Flow{Src: reachability.EndpointEntity(pod), Dst: reachability.EndpointEntity(peer), Protocol: c.first.v.Protocol, Port: c.first.v.Lo}
	if c.newPodDir == policy.Egress {
		f.Src, f.Dst = f.Dst, f.Src
	}
	_, t := reachability.NewEvaluator(snap, w.m.Options()).Evaluate(f)
	return t, nil
}
