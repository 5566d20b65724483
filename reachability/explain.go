package reachability

import (
	"github.com/netreach/netreach/internal/bridge"
	ipolicy "github.com/netreach/netreach/internal/policy"
	ireach "github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/policy"
)

// Explanation says why a connection gets its verdict: how the source's
// egress side and the destination's ingress side decided, each by a rule
// or by a default. A connection is allowed when both sides allow it.
// String gives the whole trace: every stage (tier), policy and rule
// consulted, in evaluation order.
type Explanation struct {
	// Verdict is the verdict of the connection, as [Matrix.Query] gives
	// it.
	Verdict Verdict `json:"verdict"`
	// Egress and Ingress are the two sides.
	Egress, Ingress Side
	text            string
}

// Side is how one side of a connection decided.
type Side struct {
	// Verdict is the side's verdict.
	Verdict Verdict `json:"verdict"`
	// Decision says in words how the side decided ("decided by a rule",
	// "no policy selects it for this direction: allowed").
	Decision string `json:"decision"`
	// Rule is the rule that decided, or nil when a default did.
	Rule *policy.RuleRef `json:"rule,omitempty"`
}

// String returns the explanation as indented text for people.
func (e Explanation) String() string { return e.text }

// Explain explains the verdict of a connection from the endpoint named
// from to the one named to on port (names as for [Matrix.Query]): it
// evaluates the connection again, policy by policy, with the matrix's
// snapshot and options, and reports every stage, policy and rule
// consulted. An unknown name is an [*UnknownEndpointError]. Explain costs
// about as much as reading the snapshot's policies once.
func (m *Matrix) Explain(from, to string, port Port) (Explanation, error) {
	im, err := m.get("Matrix.Explain")
	if err != nil {
		return Explanation{}, err
	}
	if err := port.check("Matrix.Explain"); err != nil {
		return Explanation{}, err
	}
	var ends [2]ireach.Entity
	for k, name := range []string{from, to} {
		i, err := entry(im, name)
		if err != nil {
			return Explanation{}, err
		}
		if e := im.Endpoint(i); e != nil {
			ends[k] = ireach.EndpointEntity(e)
		} else if a, ok := im.ExternalAtom(i); ok {
			ends[k] = ireach.IPEntity(a.Range.From())
		} else {
			return Explanation{}, &UnknownEndpointError{Name: name}
		}
	}
	v, tr := ireach.Evaluate(m.snapshot(), ireach.Flow{Src: ends[0], Dst: ends[1], Protocol: ipolicy.Protocol(port.Protocol), Port: port.Port}, im.Options())
	return Explanation{Verdict: Verdict(v), Egress: sideFrom(tr.Egress), Ingress: sideFrom(tr.Ingress), text: ireach.FormatTrace(tr)}, nil
}

func sideFrom(st ireach.SideTrace) Side {
	s := Side{Verdict: Verdict(st.Verdict), Decision: st.Decision.String()}
	if d := st.Decider; d != nil {
		r, _ := bridge.RuleRef(ipolicy.RuleRef{Policy: d.Policy, Dir: st.Direction, Index: d.Index, Source: d.Source}).(policy.RuleRef)
		s.Rule = &r
	}
	return s
}
