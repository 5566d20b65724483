package expect_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netreach/netreach/expect"
	"github.com/netreach/netreach/internal/bridge"
	iexpect "github.com/netreach/netreach/internal/expect"
	ipolicy "github.com/netreach/netreach/internal/policy"
	ireach "github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/reachability"
)

// compute loads paths and computes their matrix with the internal
// packages, and returns it with its public form.
func compute(t *testing.T, paths ...string) (*ireach.Matrix, *reachability.Matrix) {
	t.Helper()
	snap, err := ipolicy.Load(ipolicy.LoadOptions{}, paths...)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ireach.Compute(context.Background(), snap, ireach.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m, bridge.WrapMatrix(m).(*reachability.Matrix)
}

// summary is what a result says, in the terms both forms share.
type summary struct {
	Rule, Status                      string
	Pairs, FailedPairs, NumViolations int
	Violations                        []string
	Cause, Location, Explanation      string
}

// TestEvaluateMatchesInternal: on the fixtures of testdata/check and
// testdata/scenarios, the public gate reports exactly what the internal
// evaluation does, rule by rule.
func TestEvaluateMatchesInternal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expectations string
		inputs             []string
		fail               int // rules that fail or cannot be evaluated
	}{
		{"shop holds", "../testdata/check/shop.yaml", []string{"../testdata/check/shop"}, 0},
		{"shop drifts", "../testdata/check/shop.yaml", []string{"../testdata/check/shop/cluster.yaml", "../testdata/check/shop-drift"}, 2},
		{"tenants", "../testdata/check/tenant-isolation.yaml", []string{"../testdata/scenarios/tenant-isolation"}, 3},
		{"new pods", "../testdata/check/tenant-isolation-newpods.yaml", []string{"../testdata/scenarios/tenant-isolation"}, 1},
		{"typo is an error", "../testdata/check/typo.yaml", []string{"../testdata/check/shop"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			im, m := compute(t, tc.inputs...)
			ix, err := iexpect.Load(tc.expectations)
			if err != nil {
				t.Fatal(err)
			}
			want := []summary{}
			for _, r := range ix.Evaluate(im, iexpect.Options{}) {
				s := summary{Rule: r.Rule.Name, Status: r.Status.String(), Pairs: r.Pairs, FailedPairs: r.FailedPairs,
					NumViolations: r.NumViolations, Location: r.Location.String()}
				for _, v := range r.Violations {
					s.Violations = append(s.Violations, v.String())
				}
				if r.Cause != nil {
					s.Cause = r.Cause.Text + " @ " + r.Cause.Location.String()
				}
				if r.Trace != nil {
					s.Explanation = ireach.FormatTrace(r.Trace)
				}
				want = append(want, s)
			}

			x, err := expect.Load(tc.expectations)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := x.Evaluate(context.Background(), m, expect.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := []summary{}
			for _, r := range rep.Results {
				s := summary{Rule: r.Rule, Status: r.Status.String(), Pairs: r.Pairs, FailedPairs: r.FailedPairs,
					NumViolations: r.NumViolations, Location: r.Location.String(), Explanation: r.Explanation}
				for _, v := range r.Violations {
					s.Violations = append(s.Violations, v.String())
				}
				if r.Cause != nil {
					s.Cause = r.Cause.Text + " @ " + r.Cause.Location.String()
				}
				if (r.Status == expect.Error) != (r.Err != nil) {
					t.Errorf("rule %q: status %s with error %v", r.Rule, r.Status, r.Err)
				}
				got = append(got, s)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("Evaluate(%s) differs from the internal evaluation (-want +got):\n%s", tc.expectations, d)
			}
			if n := len(rep.Failures()); n != tc.fail || rep.HasFailures() != (tc.fail > 0) {
				t.Errorf("Failures() = %d results, HasFailures() = %v; want %d", n, rep.HasFailures(), tc.fail)
			}
		})
	}
}

// TestCause: an unwanted allow names the policy rule that allowed it, as
// a policy.RuleRef located in its file.
func TestCause(t *testing.T) {
	t.Parallel()
	_, m := compute(t, "../testdata/check/shop/cluster.yaml", "../testdata/check/shop-drift")
	x, err := expect.Load("../testdata/check/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := x.Evaluate(context.Background(), m, expect.Options{MaxExamples: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Results[0]
	if r.Status != expect.Fail || len(r.Violations) != 1 || r.NumViolations < 1 {
		t.Fatalf("rule %q: %s with %d of %d violations; want a failure with 1 example", r.Rule, r.Status, len(r.Violations), r.NumViolations)
	}
	if v := r.Violations[0]; v.Verdict != reachability.Allow || v.Ports.Protocol != policy.TCP || v.Ports.First != 5432 {
		t.Errorf("violation = %v; want an allowed flow on 5432/TCP", v)
	}
	c := r.Cause
	if c == nil || c.Rule == nil {
		t.Fatalf("Cause = %+v; want the rule that allowed the flow", c)
	}
	if c.Rule.Policy.Kind != "NetworkPolicy" || c.Rule.Direction != policy.Ingress || !strings.HasSuffix(c.Location.File, "policy.yaml") || c.Location.Line == 0 {
		t.Errorf("Cause = %+v, rule %v; want an ingress rule of a NetworkPolicy of shop-drift/policy.yaml, with its line", c, c.Rule)
	}
	if r.Location != c.Location {
		t.Errorf("Location = %v; want the cause's %v", r.Location, c.Location)
	}
	if !strings.Contains(r.Explanation, "ALLOW") {
		t.Errorf("Explanation = %q; want the trace of an allowed flow", r.Explanation)
	}
}

// TestCompareMatchesInternal: a golden comparison gives the changes the
// internal one does.
func TestCompareMatchesInternal(t *testing.T) {
	t.Parallel()
	im, m := compute(t, "../testdata/check/shop/cluster.yaml", "../testdata/check/shop-drift")
	const file = "../testdata/check/shop.golden.json"
	ig, err := iexpect.LoadGolden(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, level := range []expect.Level{expect.LevelAuto, expect.LevelEndpoint, expect.LevelWorkload} {
		id := ig.Compare(im, iexpect.Level(level))
		var want []string
		for _, cs := range [][]ireach.Change{id.Gained, id.Lost} {
			for _, c := range cs {
				want = append(want, c.Src+" -> "+c.Dst+" "+ireach.PortAtom{Protocol: c.Protocol, Lo: c.Lo, Hi: c.Hi}.String()+": "+c.Before.String()+" -> "+c.After.String())
			}
		}
		want = append(want, id.Added...)
		want = append(want, id.Removed...)

		g, err := expect.LoadGolden(file)
		if err != nil {
			t.Fatal(err)
		}
		d, err := g.Compare(context.Background(), m, expect.Options{Level: level})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, cs := range [][]reachability.Change{d.Gained, d.Lost} {
			for _, c := range cs {
				got = append(got, c.From+" -> "+c.To+" "+c.Ports.String()+": "+c.Before.String()+" -> "+c.After.String())
			}
		}
		got = append(got, d.Added...)
		got = append(got, d.Removed...)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Compare(%s) differs from the internal comparison (-want +got):\n%s", level, diff)
		}
		if d.IsEmpty() || d.Level.String() != id.Level.String() || d.Cause == nil || d.Explanation == "" {
			t.Errorf("Compare(%s): empty %v, level %s (want %s), cause %v, explanation %q", level, d.IsEmpty(), d.Level, id.Level, d.Cause, d.Explanation)
		}
	}
	_, same := compute(t, "../testdata/check/shop")
	g, _ := expect.LoadGolden(file)
	if d, err := g.Compare(context.Background(), same, expect.Options{}); err != nil || !d.IsEmpty() {
		t.Errorf("Compare(the golden's own cluster) = %+v, %v; want no drift", d, err)
	}
}

// TestParseErrors: a bad file is a policy.Diagnostics located at its line
// and column, with the code of the problem.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	const head = "apiVersion: netreach.io/v1alpha1\nkind: Expectations\nrules:\n- name: a\n  from: {namespace: a}\n  to: {namespace: b}\n"
	tests := []struct {
		name, text string
		line       int
		code       policy.Code
	}{
		{"bad port", head + "  ports: [80/XTP]\n  expect: deny\n", 7, policy.CodeInvalid},
		{"unknown field", head + "  expected: deny\n", 7, policy.CodeUnknownField},
		{"wrong type", head + "  ports: 80\n  expect: deny\n", 7, policy.CodeTypeInvalid},
		{"not YAML", head + "  expect: [deny\n", 8, policy.CodeSyntax},
	}
	for _, tc := range tests {
		_, err := expect.Parse("x.yaml", []byte(tc.text))
		var ds policy.Diagnostics
		if !errors.As(err, &ds) || len(ds) == 0 {
			t.Errorf("%s: Parse = %v; want diagnostics", tc.name, err)
			continue
		}
		if d := ds[0]; d.Severity != policy.Error || d.Location.File != "x.yaml" || d.Location.Line != tc.line || d.Code != tc.code {
			t.Errorf("%s: diagnostic = %+v; want an error at x.yaml:%d with code %s", tc.name, d, tc.line, tc.code)
		}
	}
	var ds policy.Diagnostics
	if _, err := expect.Load("does-not-exist.yaml"); !errors.As(err, &ds) || ds[0].Code != policy.CodeRead {
		t.Errorf("Load(missing file) = %v; want a policy.Diagnostics of code Read", err)
	}
	if _, err := expect.ParseGolden("g.json", []byte(`{"apiVersion": "v0", "kind": "Nope"}`)); !errors.As(err, &ds) || ds[0].Code != policy.CodeInvalid {
		t.Errorf("ParseGolden(wrong kind) = %v; want a policy.Diagnostics of code Invalid", err)
	}
}

// TestBadInput: nil matrices and goldens are errors, never panics, and a
// cancelled context stops the evaluation.
func TestBadInput(t *testing.T) {
	t.Parallel()
	x, err := expect.Load("../testdata/check/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var inv *policy.InvalidInputError
	if _, err := x.Evaluate(context.Background(), nil, expect.Options{}); !errors.As(err, &inv) {
		t.Errorf("Evaluate(nil matrix) = %v; want an *InvalidInputError", err)
	}
	var g *expect.Golden
	if _, err := g.Compare(context.Background(), nil, expect.Options{}); !errors.As(err, &inv) {
		t.Errorf("nil Golden.Compare = %v; want an *InvalidInputError", err)
	}
	_, m := compute(t, "../testdata/check/shop")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := x.Evaluate(ctx, m, expect.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Evaluate(cancelled) = %v; want context.Canceled", err)
	}
	var noCtx context.Context
	if _, err := x.Evaluate(noCtx, m, expect.Options{}); !errors.As(err, &inv) {
		t.Errorf("Evaluate(nil context) = %v; want an *InvalidInputError", err)
	}
	var none *expect.Expectations
	if rep, err := none.Evaluate(context.Background(), m, expect.Options{}); err != nil || rep.HasFailures() {
		t.Errorf("nil Expectations.Evaluate = %v, %v; want an empty report", rep, err)
	}
}

// TestEnumText: the enums read back what they write.
func TestEnumText(t *testing.T) {
	t.Parallel()
	for _, s := range []expect.Status{expect.Pass, expect.Fail, expect.Error} {
		b, _ := s.MarshalText()
		var got expect.Status
		if err := got.UnmarshalText(b); err != nil || got != s {
			t.Errorf("Status %q reads back as %v, %v", b, got, err)
		}
	}
	for _, l := range []expect.Level{expect.LevelAuto, expect.LevelEndpoint, expect.LevelWorkload} {
		b, _ := l.MarshalText()
		var got expect.Level
		if err := got.UnmarshalText(b); err != nil || got != l {
			t.Errorf("Level %q reads back as %v, %v", b, got, err)
		}
	}
	var s expect.Status
	if err := s.UnmarshalText([]byte("passed")); err == nil {
		t.Error(`Status.UnmarshalText("passed") = nil; want an error`)
	}
}
