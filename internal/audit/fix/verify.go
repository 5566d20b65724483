package fix

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"go4.org/netipx"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/netreach/netreach/internal/expect"
	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// verifier applies patches to one snapshot and compares the results with
// its matrix.
type verifier struct {
	snap   *policy.Snapshot
	m      *reachability.Matrix
	opts   Options
	before []expect.Result
}

func newVerifier(_ context.Context, snap *policy.Snapshot, m *reachability.Matrix, opts Options) (*verifier, error) {
	v := &verifier{snap: snap, m: m, opts: opts}
	if opts.Expect != nil {
		v.before = opts.Expect.Evaluate(m, expect.Options{MaxExamples: 1})
	}
	return v, nil
}

// Apply returns the snapshot with the fix's YAML applied, read by the
// loader exactly as `netreach -f` would read the written file.
func Apply(snap *policy.Snapshot, fx *Fix) (*policy.Snapshot, error) {
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes(fx.ID+".yaml", []byte(fx.YAML))
	change, err := l.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("the patch does not load: %w", err)
	}
	// The patch may keep warnings its original had (another mistake the
	// fix does not address), and does not declare its namespace (the
	// snapshot does); any other warning is the fix's own.
	had := map[string]bool{}
	for _, d := range snap.Diagnostics.Warnings() {
		had[d.Kind+"/"+d.Namespace+"/"+d.Name+"\x00"+d.Msg] = true
	}
	for _, w := range change.Diagnostics.Warnings() {
		if !had[w.Kind+"/"+w.Namespace+"/"+w.Name+"\x00"+w.Msg] && !strings.Contains(w.Msg, "is not declared in the input") {
			return nil, fmt.Errorf("the patch loads with a warning: %s", w)
		}
	}
	return snap.Apply(change, nil)
}

// verify applies the fix, computes the matrix and compares.
func (v *verifier) verify(ctx context.Context, fx *Fix) (*Effect, error) {
	after, err := Apply(v.snap, fx)
	if err != nil {
		return nil, err
	}
	m2, err := v.opts.Compute(ctx, after)
	if err != nil {
		return nil, err
	}
	eff, err := compare(v.m, m2, v.opts.MaxGroups, affected(v.m, after, fx.Object))
	if err != nil {
		return nil, err
	}
	if v.opts.Expect != nil {
		res := v.opts.Expect.Evaluate(m2, expect.Options{MaxExamples: 1})
		for i, r := range res {
			if i >= len(v.before) || v.before[i].Status != expect.Pass || r.Status == expect.Pass {
				continue
			}
			b := Break{Rule: r.Rule.Name, Source: r.Rule.Source, Violations: r.NumViolations}
			if b.Rule == "" {
				b.Rule = fmt.Sprintf("%s rule at %s", r.Rule.Kind, r.Rule.Source)
			}
			if len(r.Violations) > 0 {
				b.Example = r.Violations[0].String()
			} else if r.Err != nil {
				b.Example = r.Err.Error()
			}
			eff.Breaks = append(eff.Breaks, b)
		}
	}
	return eff, nil
}

// affected marks the endpoints that the object (a NetworkPolicy) selects
// before or after the patch: the only ones whose flows it can change.
// Any other object marks every endpoint.
func affected(m *reachability.Matrix, after *policy.Snapshot, obj policy.ObjectRef) []bool {
	if obj.Kind != "NetworkPolicy" || obj.Group != "" {
		return nil
	}
	out := make([]bool, m.NumEndpoints())
	for _, s := range []*policy.Snapshot{m.Snapshot(), after} {
		for _, np := range s.NetworkPolicies {
			if np.Namespace != obj.Namespace || np.Name != obj.Name {
				continue
			}
			sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
			if err != nil {
				return nil
			}
			for i := range out {
				if e := m.Endpoint(i); e.Namespace == np.Namespace && sel.Matches(labels.Set(e.Labels)) {
					out[i] = true
				}
			}
		}
	}
	return out
}

// jointClass is a set of entries that behave alike in both matrices: the
// same endpoint class (or external atom) before and after.
type jointClass struct {
	ia, ib int // a representative entry in each matrix
	ia2    int // a second member's entry in a, -1 when there is one member
	ib2    int
	size   int64
	ext    bool
	focus  bool             // some member can be affected (see compare)
	groups map[string]int64 // members by group name
}

// Compare returns the flows that differ between a (before) and b (after),
// two matrices of the same endpoints, grouped by workload; at most
// maxGroups groups are listed per direction (all when negative). Flows
// between endpoints and external addresses are compared on the common
// refinement of both matrices' address ranges and ports, so the result is
// exact. Derived entries (package access) are not compared. It costs
// O(ports × (C² + J²)) bit tests, where C is the number of endpoint
// classes and external atoms of a matrix and J the number of distinct
// (class before, class after) pairs, and memory for the class graph of
// one port at a time plus the changed pairs.
func Compare(a, b *reachability.Matrix, maxGroups int) (*Effect, error) {
	return compare(a, b, maxGroups, nil)
}

// compare is Compare restricted to the pairs whose source or destination
// is an endpoint with affected[i] set (every pair when affected is nil):
// a policy applies only to the endpoints it selects, so the flows a patch
// of policies can change are those from or to the endpoints the old or
// new version of a patched policy selects. The cost becomes
// O(ports × (C² + S×J)) with S the joint classes that hold such
// endpoints.
func compare(a, b *reachability.Matrix, maxGroups int, affected []bool) (*Effect, error) {
	n := a.NumEndpoints()
	if b.NumEndpoints() != n {
		return nil, fmt.Errorf("the patch changes the endpoints (%d before, %d after)", n, b.NumEndpoints())
	}
	for i := range n {
		if a.Endpoint(i).ID() != b.Endpoint(i).ID() {
			return nil, fmt.Errorf("the patch changes the endpoints (%s before, %s after)", a.Endpoint(i).ID(), b.Endpoint(i).ID())
		}
	}
	_, classA := a.ClassGraph([]int{}, false)
	_, classB := b.ClassGraph([]int{}, false)
	var joint []*jointClass
	index := map[[2]int]int{}
	add := func(ia, ib int, ext, focus bool, group string) {
		key := [2]int{classA[ia], classB[ib]}
		k, ok := index[key]
		if !ok {
			k = len(joint)
			index[key] = k
			joint = append(joint, &jointClass{ia: ia, ib: ib, ia2: -1, ib2: -1, ext: ext, groups: map[string]int64{}})
		}
		j := joint[k]
		if j.size == 1 {
			j.ia2, j.ib2 = ia, ib
		}
		j.size++
		j.focus = j.focus || focus
		j.groups[group]++
	}
	for i := range n {
		add(i, i, false, affected == nil || affected[i], groupName(a.Endpoint(i)))
	}
	for _, r := range refineRanges(a.ExternalAtoms(), b.ExternalAtoms()) {
		ia, ib := a.ExternalEntry(r.From()), b.ExternalEntry(r.From())
		if ia < 0 || ib < 0 {
			return nil, fmt.Errorf("address %s is in no external range", r.From())
		}
		add(ia, ib, true, false, reachability.ExternalAtom{Range: r}.String())
	}
	ports := reachability.RefinePorts(a.PortAtoms(), b.PortAtoms())
	pa := make([]int, len(ports))
	pb := make([]int, len(ports))
	for k, p := range ports {
		pa[k] = a.PortAtomIndex(p.Protocol, p.Lo)
		pb[k] = b.PortAtomIndex(p.Protocol, p.Lo)
	}
	// Port by port, the class graphs of both matrices say which pairs of
	// joint classes changed; the changed ports of each changed pair are
	// kept (few pairs change), then grouped.
	type pairKey struct{ x, y int }
	words := (len(ports) + 63) / 64
	lostAt, gainedAt := map[pairKey][]uint64{}, map[pairKey][]uint64{}
	mark := func(at map[pairKey][]uint64, k pairKey, port int) {
		w := at[k]
		if w == nil {
			w = make([]uint64, words)
			at[k] = w
		}
		w[port/64] |= 1 << (port % 64)
	}
	var focused []int
	for x, j := range joint {
		if j.focus {
			focused = append(focused, x)
		}
	}
	var ga, gb portGraphs
	// test compares one pair of joint classes on port k.
	test := func(k, x, y int) {
		jx, jy := joint[x], joint[y]
		if jx.ext && jy.ext || x == y && jx.size < 2 {
			return
		}
		va, vb := ga.openness(classA[jx.ia], classA[jy.ia]), gb.openness(classB[jx.ib], classB[jy.ib])
		switch {
		case vb < va:
			mark(lostAt, pairKey{x, y}, k)
		case vb > va:
			mark(gainedAt, pairKey{x, y}, k)
		}
	}
	for k := range ports {
		if k == 0 || pa[k] != pa[k-1] {
			ga = classGraphs(a, pa[k])
		}
		if k == 0 || pb[k] != pb[k-1] {
			gb = classGraphs(b, pb[k])
		}
		for x, jx := range joint {
			if jx.focus {
				for y := range joint {
					test(k, x, y)
				}
				continue
			}
			for _, y := range focused {
				test(k, x, y)
			}
		}
	}
	closed, opened := map[[3]string]int64{}, map[[3]string]int64{}
	eff := &Effect{}
	sel := make([]bool, len(ports))
	bitsOf := func(w []uint64) []bool {
		for k := range sel {
			sel[k] = w[k/64]&(1<<(k%64)) != 0
		}
		return sel
	}
	for key, w := range lostAt {
		eff.Closed.Pairs += addPairs(closed, joint[key.x], joint[key.y], key.x == key.y, portsText(ports, bitsOf(w)))
	}
	for key, w := range gainedAt {
		eff.Opened.Pairs += addPairs(opened, joint[key.x], joint[key.y], key.x == key.y, portsText(ports, bitsOf(w)))
	}
	eff.Closed.Groups, eff.Closed.Omitted = sortGroups(closed, maxGroups)
	eff.Opened.Groups, eff.Opened.Omitted = sortGroups(opened, maxGroups)
	return eff, nil
}

// portGraphs are the class graphs of one port atom of a matrix: the
// pairs allowed (def) and those allowed or conditional (pos); nil graphs
// mean a port no policy of the matrix restricts (everything allowed).
type portGraphs struct{ def, pos *graph.Matrix }

func classGraphs(m *reachability.Matrix, p int) portGraphs {
	if p < 0 {
		return portGraphs{}
	}
	def, _ := m.ClassGraph([]int{p}, false)
	pos, _ := m.ClassGraph([]int{p}, true)
	return portGraphs{def, pos}
}

// openness returns the openness of the verdict from class (or external
// atom) i to j: 2 allowed, 1 conditional, 0 denied; a pod of a class to
// another pod of the same class for i == j.
func (g portGraphs) openness(i, j int) int {
	switch {
	case g.def == nil || g.def.Has(i, j):
		return 2
	case g.pos.Has(i, j):
		return 1
	}
	return 0
}

// addPairs adds the member pairs of two joint classes to the groups they
// fall in and returns their number; a member is never paired with itself.
func addPairs(groups map[[3]string]int64, x, y *jointClass, same bool, ports string) int64 {
	var total int64
	for gx, cx := range x.groups {
		for gy, cy := range y.groups {
			n := cx * cy
			if same && gx == gy {
				n = cx * (cx - 1)
			}
			if n > 0 {
				groups[[3]string{gx, gy, ports}] += n
				total += n
			}
		}
	}
	return total
}

func sortGroups(m map[[3]string]int64, max int) ([]FlowGroup, int) {
	out := make([]FlowGroup, 0, len(m))
	for k, n := range m {
		out = append(out, FlowGroup{Src: k[0], Dst: k[1], Ports: k[2], Pairs: n})
	}
	slices.SortFunc(out, func(a, b FlowGroup) int {
		return cmp.Or(cmp.Compare(b.Pairs, a.Pairs), cmp.Compare(a.Src, b.Src), cmp.Compare(a.Dst, b.Dst), cmp.Compare(a.Ports, b.Ports))
	})
	if max >= 0 && len(out) > max {
		return out[:max], len(out) - max
	}
	return out, 0
}

// groupName names the group of an endpoint: its workload
// ("ns/Deployment/web"), else the endpoint ("ns/pod").
func groupName(e *policy.Endpoint) string {
	if e.Workload != "" {
		return e.Namespace + "/" + e.Workload
	}
	return e.ID()
}

// portsText describes the ports marked in sel: "all ports" when every one
// is, else the merged ranges ("80/TCP, 1000-2000/UDP, ICMP").
func portsText(ports []reachability.PortAtom, sel []bool) string {
	if !slices.Contains(sel, false) {
		return "all ports"
	}
	var parts []string
	for k := 0; k < len(ports); k++ {
		if !sel[k] {
			continue
		}
		p := ports[k]
		if p.Others {
			parts = append(parts, "other protocols")
			continue
		}
		if !p.Protocol.HasPorts() {
			parts = append(parts, p.Protocol.String())
			continue
		}
		hi := p.Hi
		for k+1 < len(ports) && sel[k+1] && ports[k+1].Protocol == p.Protocol && !ports[k+1].Others && uint32(ports[k+1].Lo) == uint32(hi)+1 {
			k++
			hi = ports[k].Hi
		}
		parts = append(parts, reachability.PortRange{Protocol: p.Protocol, Lo: p.Lo, Hi: hi}.String())
	}
	return strings.Join(parts, ", ")
}

// refineRanges cuts the address space at the starts of both atom lists.
func refineRanges(a, b []reachability.ExternalAtom) []netipx.IPRange {
	var cuts []netip.Addr
	for _, list := range [][]reachability.ExternalAtom{a, b} {
		for _, at := range list {
			cuts = append(cuts, at.Range.From())
		}
	}
	slices.SortFunc(cuts, netip.Addr.Compare)
	cuts = slices.Compact(cuts)
	out := make([]netipx.IPRange, 0, len(cuts))
	for i, c := range cuts {
		var end netip.Addr
		switch {
		case i+1 < len(cuts) && cuts[i+1].Is4() == c.Is4():
			end = cuts[i+1].Prev()
		case c.Is4():
			end = netip.AddrFrom4([4]byte{255, 255, 255, 255})
		default:
			end = netip.AddrFrom16([16]byte{0: 0xff, 1: 0xff, 2: 0xff, 3: 0xff, 4: 0xff, 5: 0xff, 6: 0xff, 7: 0xff, 8: 0xff, 9: 0xff, 10: 0xff, 11: 0xff, 12: 0xff, 13: 0xff, 14: 0xff, 15: 0xff})
		}
		out = append(out, netipx.IPRangeFrom(c, end))
	}
	return out
}
