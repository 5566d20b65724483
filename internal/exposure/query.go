package exposure

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/netreach/netreach/internal/bdd"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/internal/selector"
)

// Query selects hypothetical pods by where they are and what labels they
// carry. Every field that is set must hold. A CI gate uses it to ask
// whether some pod that could be created breaks an expectation
// ([Analysis.Find]).
type Query struct {
	// Namespaces are names of the input's namespaces the pod may be in;
	// empty means any of them. They never name a new namespace.
	Namespaces []string
	// NewNamespaces lets the pod be in a new namespace too (one whose
	// labels NamespaceSelector matches, when set).
	NewNamespaces bool
	// NamespaceSelector must match the labels of the pod's namespace
	// (kubernetes.io/metadata.name included).
	NamespaceSelector *selector.Selector
	// PodSelector must match the pod's labels; Selector is a Calico
	// selector over the labels Calico sees (projectcalico.org/namespace
	// and friends added).
	PodSelector, Selector *selector.Selector
}

// String describes the query for messages.
func (q Query) String() string {
	var parts []string
	if len(q.Namespaces) > 0 {
		parts = append(parts, "namespaces "+strings.Join(q.Namespaces, ", "))
	}
	if q.NewNamespaces {
		parts = append(parts, "new namespaces")
	}
	if q.NamespaceSelector != nil {
		parts = append(parts, "namespace labels "+q.NamespaceSelector.String())
	}
	if q.PodSelector != nil {
		parts = append(parts, "pod labels "+q.PodSelector.String())
	}
	if q.Selector != nil {
		parts = append(parts, "selector "+q.Selector.String())
	}
	return "{" + strings.Join(parts, "; ") + "}"
}

// register adds the query's predicates to the space, so that sets can be
// intersected with it exactly.
func (s *space) registerQuery(q Query) {
	for _, n := range q.Namespaces {
		s.nsName.add(strAtom{op: strEq, lit: n})
	}
	if q.NamespaceSelector != nil {
		s.registerSelector(q.NamespaceSelector, nsLabels)
	}
	if q.PodSelector != nil {
		// The pod's own labels: no implicit Calico label is meant.
		exprAtoms(q.PodSelector.Expr(), func(key string, a strAtom) {
			s.labelVar(s.pod, dimPodLabel, key, true).add(a)
		})
	}
	s.registerSelector(q.Selector, podLabels)
}

// queryBDD returns the pods the query selects.
func (a *analyzer) queryBDD(q Query) bdd.Node {
	s, m, c := a.space, a.m, a.comp
	var idx []int
	for i, name := range s.nsNames {
		if len(q.Namespaces) == 0 || slices.Contains(q.Namespaces, name) {
			idx = append(idx, i)
		}
	}
	ns := s.idxIn(s.ns.bits, idx)
	if q.NewNamespaces && len(q.Namespaces) == 0 { // names are the input's
		ns = m.Or(ns, s.newNs)
	}
	r := m.AndAll(s.valid, ns, c.selector(q.NamespaceSelector, nsLabels), c.selector(q.Selector, podLabels))
	if q.PodSelector != nil {
		r = m.And(r, exprBDD(m, q.PodSelector.Expr(), func(key string, at strAtom) bdd.Node {
			return c.varAtom(s.pod[key], at)
		}))
	}
	return r
}

// Witness is a hypothetical pod that makes a connection happen, with the
// connections it gets (restricted to those asked about).
type Witness struct {
	Pod Pod
	Conn
}

// Find looks for a hypothetical pod that q selects and that can connect
// with endpoint i of the snapshot on some of ports (allowed or
// conditional): in direction Ingress from the pod to the endpoint, Egress
// from the endpoint to the pod. except, when set, leaves out the pods it
// returns true for on a port group's connections (exemptions; it is given
// the group's connections and returns the pods to leave out). Find
// returns a concrete witness — a namespace (new ones get a fresh name),
// labels, service account, node, address and declared ports — checked
// with [Analysis.Predict]; ok is false when no such pod exists. The
// query's selectors must have been given in Options.Queries.
func (an *Analysis) Find(q Query, i int, dir policy.Direction, ports reachability.Connections, except func(reachability.Connections) []Query) (w Witness, ok bool, err error) {
	a := an.a
	if !a.registered(q) {
		return w, false, fmt.Errorf("exposure: find: the query %s was not registered in Options.Queries", q)
	}
	c := a.classes[a.classOf[i]]
	v := c.res.in
	if dir == policy.Egress {
		v = c.res.out
	}
	var path []bdd.Literal
	guard := bdd.Guard(func() {
		m := a.m
		region := bdd.False
		for gi, g := range a.groups {
			if g.conn.Intersect(ports).IsEmpty() {
				continue
			}
			r := v.pos[gi]
			if except != nil {
				for _, eq := range except(g.conn.Intersect(ports)) {
					r = m.AndNot(r, a.queryBDD(eq))
				}
			}
			region = m.Or(region, r)
		}
		region = m.And(region, a.queryBDD(q))
		for p := range m.Paths(region) {
			path = slices.Clone(p)
			break
		}
	})
	if guard != nil {
		return w, false, fmt.Errorf("exposure: find: %w", guard)
	}
	if path == nil {
		return w, false, nil
	}
	pod := a.podOf(path)
	pr, err := an.Predict(pod)
	if err != nil {
		return w, false, fmt.Errorf("exposure: find: the witness %+v: %w", pod, err)
	}
	conn := pr.To[i]
	if dir == policy.Egress {
		conn = pr.From[i]
	}
	w = Witness{Pod: pod, Conn: Conn{Allowed: conn.Allowed.Intersect(ports), Conditional: conn.Conditional.Intersect(ports)}}
	if w.Allowed.IsEmpty() && w.Conditional.IsEmpty() {
		return w, false, fmt.Errorf("exposure: find: internal error: the witness %+v gets no connection", pod)
	}
	return w, true, nil
}

// registered reports whether the query's predicates are in the space.
func (a *analyzer) registered(q Query) bool {
	ok := true
	check := func(ls labelSpace, sel *selector.Selector) {
		if sel == nil {
			return
		}
		exprAtoms(sel.Expr(), func(key string, at strAtom) {
			t := a.space.resolve(ls, key, false)
			_, existing := a.space.nsIndex[at.lit]
			if !t.konst && (t.v == nil || !hasAtom(t.v, at) && !(t.v.kind == dimNsName && existing && at.op == strEq)) {
				ok = false
			}
		})
	}
	check(nsLabels, q.NamespaceSelector)
	check(podLabels, q.Selector)
	if q.PodSelector != nil {
		exprAtoms(q.PodSelector.Expr(), func(key string, at strAtom) {
			if v := a.space.pod[key]; v == nil || !hasAtom(v, at) {
				ok = false
			}
		})
	}
	return ok
}

func hasAtom(v *strVar, at strAtom) bool {
	_, ok := v.index[at]
	return ok
}

// podOf turns a path of the space (literals on some variables; the others
// are free) into a concrete pod.
func (a *analyzer) podOf(path []bdd.Literal) Pod {
	s := a.space
	val := map[int]bool{}
	for _, l := range path {
		val[l.Var] = l.Value
	}
	idx := func(bitVars []int) int {
		n := 0
		for _, b := range bitVars {
			n <<= 1
			if val[b] {
				n |= 1
			}
		}
		return n
	}
	// value returns a value of the variable with the truth vector of the
	// path (free atoms false: every completion of a path satisfies Valid).
	value := func(v *strVar) (string, bool) {
		truth := make([]bool, len(v.atoms))
		for i, x := range v.vars {
			truth[i] = val[x]
		}
		for _, sol := range v.sols {
			if slices.Equal(sol.truth, truth) {
				return sol.value, sol.present
			}
		}
		return "", false
	}
	var p Pod
	if i := idx(s.ns.bits); i < len(s.nsNames) {
		p.Namespace = s.nsNames[i]
	} else {
		p.Namespace, _ = value(s.nsName)
		p.NamespaceLabels = map[string]string{}
		for k, v := range s.nsLabel {
			if x, ok := value(v); ok {
				p.NamespaceLabels[k] = x
			}
		}
	}
	p.Labels = map[string]string{}
	for k, v := range s.pod {
		if x, ok := value(v); ok {
			p.Labels[k] = x
		}
	}
	if s.sa != nil {
		p.ServiceAccount, _ = value(s.sa)
		p.ServiceAccountLabels = map[string]string{}
		for k, v := range s.saLabel {
			if x, ok := value(v); ok {
				p.ServiceAccountLabels[k] = x
			}
		}
	}
	if s.node != nil {
		p.Node, _ = value(s.node)
	}
	for _, d := range s.addr {
		if d == nil {
			continue
		}
		if i := idx(d.bits); i < len(d.atoms) {
			p.IPs = append(p.IPs, d.free[i])
		}
	}
	// A port for each name the path declares, in a port group where it
	// matters: every port group of the name's protocols is tried by
	// Predict, so one declaration per name and protocol suffices.
	for _, name := range s.declNames {
		if !val[s.decl[name]] {
			continue
		}
		for _, g := range a.groups {
			if g.proto.HasPorts() {
				p.Ports = append(p.Ports, policy.ContainerPort{Name: name, Protocol: g.proto, Port: g.port})
			}
		}
	}
	p.Ports = dedupPorts(p.Ports)
	return p
}

func dedupPorts(ps []policy.ContainerPort) []policy.ContainerPort {
	seen := map[policy.ContainerPort]bool{}
	var out []policy.ContainerPort
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// String describes the pod: "pod {app=a} in namespace shop" or "pod
// {app=a} in new namespace x0 {team=b}", then its service account, node,
// addresses and ports.
func (p Pod) String() string {
	ns := "namespace " + p.Namespace
	if p.NamespaceLabels != nil {
		ns = "new namespace " + p.Namespace + " " + labelsString(p.NamespaceLabels)
	}
	s := "pod " + labelsString(p.Labels) + " in " + ns
	if p.ServiceAccount != "" && p.ServiceAccount != "default" {
		s += ", service account " + p.ServiceAccount
		if len(p.ServiceAccountLabels) > 0 {
			s += " " + labelsString(p.ServiceAccountLabels)
		}
	}
	if p.Node != "" {
		s += ", on node " + p.Node
	}
	if len(p.IPs) > 0 {
		var ips []string
		for _, ip := range p.IPs {
			ips = append(ips, ip.String())
		}
		s += ", address " + strings.Join(ips, ", ")
	}
	if len(p.Ports) > 0 {
		var ps []string
		for _, cp := range p.Ports {
			ps = append(ps, fmt.Sprintf("%s %d/%s", cp.Name, cp.Port, cp.Protocol))
		}
		s += ", ports " + strings.Join(ps, ", ")
	}
	return s
}

func labelsString(l map[string]string) string {
	keys := slices.Sorted(maps.Keys(l))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + l[k]
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// Objects returns the manifests that create the pod: its namespace when it
// is new, its service account when it has labels the input does not give,
// and the pod itself (named "hypothetical", one container per port).
func (p Pod) Objects(snap *policy.Snapshot) []map[string]any {
	var out []map[string]any
	if snap.Namespace(p.Namespace) == nil {
		out = append(out, map[string]any{"apiVersion": "v1", "kind": "Namespace",
			"metadata": map[string]any{"name": p.Namespace, "labels": p.NamespaceLabels}})
	}
	sa := p.ServiceAccount
	if sa == "" {
		sa = "default"
	}
	if len(p.ServiceAccountLabels) > 0 && snap.ServiceAccountLabels(p.Namespace, sa) == nil {
		out = append(out, map[string]any{"apiVersion": "v1", "kind": "ServiceAccount",
			"metadata": map[string]any{"name": sa, "namespace": p.Namespace, "labels": p.ServiceAccountLabels}})
	}
	var containers []any
	for k, cp := range p.Ports {
		containers = append(containers, map[string]any{"name": fmt.Sprintf("c%d", k), "image": "x",
			"ports": []any{map[string]any{"name": cp.Name, "containerPort": int(cp.Port), "protocol": cp.Protocol.String()}}})
	}
	if len(containers) == 0 {
		containers = []any{map[string]any{"name": "c", "image": "x"}}
	}
	spec := map[string]any{"containers": containers, "serviceAccountName": sa}
	if p.Node != "" {
		spec["nodeName"] = p.Node
	}
	var ips []any
	for _, ip := range p.IPs {
		ips = append(ips, map[string]any{"ip": ip.String()})
	}
	status := map[string]any{}
	if len(ips) > 0 {
		status["podIP"] = p.IPs[0].String()
		status["podIPs"] = ips
	}
	return append(out, map[string]any{"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "hypothetical", "namespace": p.Namespace, "labels": p.Labels},
		"spec":     spec, "status": status})
}

// SnapshotWith returns the snapshot with the pod (and its new namespace
// and service account, see [Pod.Objects]) added as kubectl apply would,
// and the pod's endpoint in it, for the reference evaluator to explain
// the pod's flows.
func (an *Analysis) SnapshotWith(p Pod) (*policy.Snapshot, *policy.Endpoint, error) {
	var b strings.Builder
	for _, o := range p.Objects(an.orig) {
		y, err := yaml.Marshal(o)
		if err != nil {
			return nil, nil, err
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes("new-pod.yaml", []byte(b.String()))
	add, err := l.Snapshot()
	if err != nil {
		return nil, nil, fmt.Errorf("exposure: the pod's manifests: %w", err)
	}
	snap, err := an.orig.Apply(add, nil)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range snap.Endpoints {
		if e.ID() == p.Namespace+"/hypothetical" {
			return snap, e, nil
		}
	}
	return nil, nil, fmt.Errorf("exposure: the pod is missing from its snapshot")
}

// EntireCluster returns what every hypothetical pod — in any namespace,
// with any labels — gets with endpoint i in direction dir (Ingress: from
// the pod to the endpoint), on ports the pod does not declare by a name a
// rule uses.
func (an *Analysis) EntireCluster(i int, dir policy.Direction) Conn {
	a := an.a
	c := a.classes[a.classOf[i]]
	v := c.res.in
	if dir == policy.Egress {
		v = c.res.out
	}
	out := Conn{Allowed: reachability.NoConnections(an.scope), Conditional: reachability.NoConnections(an.scope)}
	for gi, g := range a.groups {
		switch {
		case a.m.Implies(a.space.valid, a.restrictDecl(v.cert[gi], nil)):
			out.Allowed = out.Allowed.Union(g.conn)
		case a.m.Implies(a.space.valid, a.restrictDecl(v.pos[gi], nil)):
			out.Conditional = out.Conditional.Union(g.conn)
		}
	}
	return out
}
