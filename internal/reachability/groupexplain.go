package reachability

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// GroupExplanation says why the members of one ordered pair of groups can
// or cannot connect: the outcomes of the reference evaluator, each with
// the connections and the number of member pairs it holds for.
type GroupExplanation struct {
	Src, Dst GroupNode
	// Pairs is the number of member pairs the view counts.
	Pairs    int64
	Outcomes []GroupOutcome
}

// GroupOutcome is one way flows of a pair of groups are decided: the
// verdict and what decided each side, on some connections, for some of
// the member pairs.
type GroupOutcome struct {
	Verdict     Verdict
	Connections Connections
	// Pairs is the number of member pairs decided this way on all of
	// Connections.
	Pairs int64
	// Trace is the reference evaluator's trace of one such flow, between
	// two members, on the first port of Connections.
	Trace *Trace
}

// ExplainCost returns an upper bound of the flows [GroupedView.Explain]
// evaluates: every pair of cells (the parts of groups in one endpoint
// class) times the port atoms.
func (v *GroupedView) ExplainCost() int64 {
	n := int64(len(v.cells))
	return n * n * int64(len(v.atoms))
}

// Explain explains every ordered pair of groups of the view that counts
// some pair of members (allowed or not), by source then destination
// group (derived entries, which the reference evaluator does not know,
// left out), with the reference evaluator ev (built on the matrix's snapshot
// and options): for every pair of endpoint classes between the two groups
// and every port atom, one flow between two members is evaluated, and the
// flows decided the same way (verdict, and the policy rule or default that
// decided each side) on the same connections are merged. It calls fn for
// each pair of groups and stops at the first error.
func (v *GroupedView) Explain(ctx context.Context, ev *Evaluator, fn func(*GroupExplanation) error) error {
	m := v.m
	entity := func(i int32) Entity {
		if e := m.Endpoint(int(i)); e != nil {
			return EndpointEntity(e)
		}
		a, _ := m.ExternalAtom(int(i))
		return IPEntity(a.Range.From())
	}
	words := (len(v.atoms) + 63) / 64
	for a := range v.groups {
		for b := range v.groups {
			if err := ctx.Err(); err != nil {
				return err
			}
			if v.groups[a].derived || v.groups[b].derived {
				continue // the reference evaluator knows endpoints and addresses only
			}
			total := v.pairsBetween(a, b)
			if total == 0 {
				continue
			}
			type agg struct {
				key   string
				mask  []uint64
				pairs int64
				trace *Trace
				v     Verdict
			}
			var outs []*agg
			for x := v.groupCells[a][0]; x < v.groupCells[a][1]; x++ {
				ca := v.cells[x]
				mode := v.mode(ca)
				if mode == modeNone {
					continue
				}
				for y := v.groupCells[b][0]; y < v.groupCells[b][1]; y++ {
					cb := v.cells[y]
					if ca.ext && cb.ext || mode == modeFocus && !cb.focus {
						continue
					}
					w := ca.weight * cb.weight
					src, dst := ca.rep, cb.rep
					if x == y {
						w -= ca.weight
						dst = ca.rep2
					}
					if w == 0 || dst < 0 {
						continue
					}
					// Outcomes of this pair of members, per port atom.
					local := map[string]*agg{}
					var order []string
					for k, p := range v.atoms {
						at := m.ports[p]
						flow := Flow{Src: entity(src), Dst: entity(dst), Protocol: at.Protocol, Port: at.Lo}
						verdict, tr := ev.Evaluate(flow)
						key := outcomeKey(verdict, tr)
						o := local[key]
						if o == nil {
							o = &agg{key: key, mask: make([]uint64, words), trace: tr, v: verdict}
							local[key] = o
							order = append(order, key)
						}
						o.mask[k>>6] |= 1 << (k & 63)
					}
					for _, key := range order {
						o := local[key]
						full := key + "|" + fmt.Sprint(o.mask)
						found := false
						for _, g := range outs {
							if g.key == full {
								g.pairs += w
								found = true
								break
							}
						}
						if !found {
							outs = append(outs, &agg{key: full, mask: o.mask, pairs: w, trace: o.trace, v: o.v})
						}
					}
				}
			}
			ex := GroupExplanation{Src: v.groups[a], Dst: v.groups[b], Pairs: total}
			for _, o := range outs {
				mask := o.mask
				in := map[int]bool{}
				for k, p := range v.atoms {
					if mask[k>>6]&(1<<(k&63)) != 0 {
						in[p] = true
					}
				}
				c := connectionsOf(m.ports, m.ConnectionScope(), func(p int) bool { return in[p] })
				if v.filter != nil {
					c = c.Intersect(*v.filter)
				}
				ex.Outcomes = append(ex.Outcomes, GroupOutcome{Verdict: o.v, Connections: c, Pairs: o.pairs, Trace: o.trace})
			}
			slices.SortStableFunc(ex.Outcomes, func(x, y GroupOutcome) int { return y.Verdict.Openness() - x.Verdict.Openness() })
			if err := fn(&ex); err != nil {
				return err
			}
		}
	}
	return nil
}

// outcomeKey identifies how a flow was decided: the verdict and, on each
// side, the verdict, the decision and the deciding rule.
func outcomeKey(v Verdict, t *Trace) string {
	var b strings.Builder
	b.WriteString(v.String())
	for _, s := range []SideTrace{t.Egress, t.Ingress} {
		fmt.Fprintf(&b, "|%s/%d", s.Verdict, s.Decision)
		if s.Decider != nil {
			fmt.Fprintf(&b, "/%s#%d", s.Decider.Policy.Key(), s.Decider.Index)
		}
	}
	return b.String()
}
