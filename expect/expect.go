package expect

import (
	"context"
	"strings"

	"github.com/netreach/netreach/internal/bridge"
	"github.com/netreach/netreach/internal/enumtext"
	iexpect "github.com/netreach/netreach/internal/expect"
	ipolicy "github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/public"
	ireach "github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/reachability"
)

// Expectations is a parsed expectations file. The zero value and nil hold
// no rule. It is immutable and safe for concurrent use.
type Expectations struct {
	x *iexpect.Expectations
}

// Parse reads an expectations file (one YAML or JSON document) named
// name, which locates the problems. It is strict: field names are
// case-sensitive; unknown and duplicate fields, values of the wrong type,
// invalid selectors, CIDRs, ports and globs are errors. On failure the
// error is a [policy.Diagnostics] holding every problem found, each
// located at file:line:column with the field path and what was expected.
func Parse(name string, data []byte) (*Expectations, error) {
	x, err := iexpect.Parse(name, data)
	if err != nil {
		return nil, public.Error(err)
	}
	return &Expectations{x: x}, nil
}

// Load reads and parses the expectations file at path; see [Parse].
func Load(path string) (*Expectations, error) {
	x, err := iexpect.Load(path)
	if err != nil {
		return nil, public.Error(err)
	}
	return &Expectations{x: x}, nil
}

// Options tune [Expectations.Evaluate] and [Golden.Compare]. The zero
// value gives the defaults.
type Options struct {
	// MaxExamples limits the offending flows kept per rule
	// ([Result.Violations]; [Result.NumViolations] counts all of them);
	// 0 means 10, a negative value keeps all.
	MaxExamples int
	// Level says how [Golden.Compare] matches the golden's endpoints with
	// the matrix's; the zero value is [LevelAuto].
	Level Level
}

// Evaluate checks every rule against m and returns one result per rule,
// in file order. Flows are read from the matrix; the first violation of
// each failing rule is explained with the snapshot and options m was
// computed with. It costs O(pairs × port ranges) per rule. When ctx is
// cancelled it stops within a few thousand pairs and returns ctx's error;
// a nil m or ctx is an [*policy.InvalidInputError].
func (x *Expectations) Evaluate(ctx context.Context, m *reachability.Matrix, opts Options) (*Report, error) {
	im := bridge.Matrix(m)
	if im == nil || ctx == nil {
		return nil, &policy.InvalidInputError{Op: "expect: Expectations.Evaluate", Reason: "nil matrix or context"}
	}
	if x == nil || x.x == nil {
		return &Report{}, nil
	}
	res, err := x.x.EvaluateContext(ctx, im, iexpect.Options{MaxExamples: opts.MaxExamples})
	if err != nil {
		return nil, public.Error(err)
	}
	r := &Report{Results: make([]Result, len(res))}
	for i := range res {
		r.Results[i] = resultFrom(&res[i])
	}
	return r, nil
}

// Report is the outcome of an expectations file on one matrix.
type Report struct {
	// Results hold one result per rule, in file order.
	Results []Result
}

// HasFailures reports whether some rule failed or could not be evaluated:
// whether the gate fails.
func (r *Report) HasFailures() bool {
	return r != nil && len(r.Failures()) > 0
}

// Failures returns the results whose status is [Fail] or [Error], in file
// order.
func (r *Report) Failures() []Result {
	if r == nil {
		return nil
	}
	var out []Result
	for _, res := range r.Results {
		if res.Status != Pass {
			out = append(out, res)
		}
	}
	return out
}

// Result is the outcome of one rule.
type Result struct {
	// Rule is the rule's name, as the file gives it.
	Rule string
	// Status is the outcome; Err says why for [Error].
	Status Status
	Err    error
	// Pairs is the number of (source, destination) pairs checked; a pod
	// and itself, pairs of two addresses and, for isolate rules, pairs
	// that an exception exempts entirely are not checked. FailedPairs
	// counts the pairs with at least one violation.
	Pairs, FailedPairs int
	// NumViolations is the number of offending flows; Violations holds
	// the first [Options.MaxExamples] of them, by source, destination and
	// port.
	NumViolations int
	Violations    []Violation
	// Cause is what decided the first violation, when one rule or policy
	// did: for an unwanted allow the rule that allowed it (or the
	// endpoint no policy protects), for a missing allow the rule or
	// policy that denied it. Nil otherwise.
	Cause *Cause
	// Explanation explains the first violation as `netreach explain`
	// does: each side's policies and rules, or, for a flow that involves
	// the internet, the ingress controller or a Service, the hops of its
	// path. Empty when the rule passed.
	Explanation string
	// Location is where to report the result: for an unwanted allow the
	// cause, when known; otherwise the rule in the expectations file (for
	// an Error, the offending part of the rule).
	Location policy.Location
}

// Status is the outcome of one rule. The zero value is [Pass].
type Status uint8

// The outcomes of a rule.
const (
	// Pass: the rule holds.
	Pass Status = iota
	// Fail: at least one selected flow has a verdict the rule forbids.
	Fail
	// Error: the rule cannot be evaluated on this matrix, for example
	// because a selection picks nothing.
	Error
)

// String returns "pass", "fail" or "error".
func (s Status) String() string { return iexpect.Status(s).String() }

// MarshalText returns the status as String does.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (s *Status) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(s, b, Pass, Fail, Error)
}

// Violation is one offending flow: from From to To on Ports, with the
// verdict the rule forbids. From and To are entry names of the matrix:
// "namespace/name" for endpoints, an address range for addresses outside
// the cluster.
type Violation struct {
	From, To string
	Ports    reachability.PortRange
	Verdict  reachability.Verdict
}

// String returns "from -> to 80/TCP: allow".
func (v Violation) String() string {
	return v.From + " -> " + v.To + " " + v.Ports.String() + ": " + v.Verdict.String()
}

// Cause is the policy rule, policy or endpoint that decided an offending
// flow.
type Cause struct {
	// Rule is the deciding rule; nil when no single rule decided (a
	// policy that isolates and allows nothing, an unprotected endpoint).
	Rule *policy.RuleRef
	// Policy is the policy that decided; the zero ObjectRef when none did
	// (an endpoint no policy selects).
	Policy policy.ObjectRef
	// Location is the rule's place in its file, else the policy's, else
	// the endpoint's.
	Location policy.Location
	// Text says what happened, in words: "ingress rule 0 (Allow) of
	// NetworkPolicy shop/web allows it".
	Text string
}

func resultFrom(r *iexpect.Result) Result {
	out := Result{
		Status:        Status(r.Status),
		Err:           public.Error(r.Err),
		Pairs:         r.Pairs,
		FailedPairs:   r.FailedPairs,
		NumViolations: r.NumViolations,
		Cause:         causeFrom(r.Cause),
		Explanation:   explanation(r.Trace, r.Path),
		Location:      public.Location(r.Location),
	}
	if r.Rule != nil {
		out.Rule = r.Rule.Name
	}
	for _, v := range r.Violations {
		out.Violations = append(out.Violations, Violation{From: v.Src, To: v.Dst,
			Ports: portRange(v.Protocol, v.Lo, v.Hi), Verdict: reachability.Verdict(v.Verdict)})
	}
	return out
}

func causeFrom(c *iexpect.Cause) *Cause {
	if c == nil {
		return nil
	}
	out := &Cause{Policy: public.ObjectRef(c.Policy), Location: public.Location(c.Location), Text: c.Text}
	if c.Rule >= 0 && c.Policy.Name != "" {
		out.Rule = &policy.RuleRef{Policy: out.Policy, Direction: policy.Direction(c.Direction), Index: c.Rule, Location: out.Location}
	}
	return out
}

// explanation renders a trace, or else a path, as text.
func explanation(t *ireach.Trace, path []string) string {
	if t != nil {
		return ireach.FormatTrace(t)
	}
	if len(path) == 0 {
		return ""
	}
	return strings.Join(path, "\n") + "\n"
}

// portRange returns the public form of an internal port range.
func portRange(p ipolicy.Protocol, lo, hi uint16) reachability.PortRange {
	return reachability.PortRange{Protocol: policy.Protocol(p), First: lo, Last: hi}
}
