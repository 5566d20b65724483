package checkout

import (
	"fmt"
	"github.com/netreach/netreach/internal/safetext"
	"io"
	"strings"

	"github.com/netreach/netreach/internal/expect"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// Report is everything `netreach check` found, ready to be written. Output
// depends only on its fields, so it is byte-stable for equal input.
type Report struct {
	// Version is the tool version written into JUnit and SARIF.
	Version string
	// Options are the analysis switches (Matrix.Describe).
	Options string
	// Results are the expectation rules' results, in file order.
	Results []expect.Result
	// Drift is the golden-matrix comparison; nil without --golden.
	Drift *expect.Drift
	// MaxExamples limits the offending flows and changes listed per check
	// (0: all).
	MaxExamples int
	// BaseDir, when set, is the absolute directory that SARIF paths are
	// made relative to (the working directory); relative paths are kept.
	BaseDir string
}

// Summary counts checks by outcome.
type Summary struct {
	Checks, Passed, Failed, Errors int
}

// Summary counts the checks: one per rule, plus one for the golden matrix.
func (r *Report) Summary() Summary {
	var s Summary
	for _, res := range r.Results {
		s.Checks++
		switch res.Status {
		case expect.Pass:
			s.Passed++
		case expect.Fail:
			s.Failed++
		default:
			s.Errors++
		}
	}
	if r.Drift != nil {
		s.Checks++
		if r.Drift.IsEmpty() {
			s.Passed++
		} else {
			s.Failed++
		}
	}
	return s
}

// String says "8 checks: 5 passed, 2 failed, 1 error".
func (s Summary) String() string {
	out := fmt.Sprintf("%d check%s: %d passed", s.Checks, plural(s.Checks), s.Passed)
	if s.Failed > 0 {
		out += fmt.Sprintf(", %d failed", s.Failed)
	}
	if s.Errors > 0 {
		out += fmt.Sprintf(", %d error%s", s.Errors, plural(s.Errors))
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// ruleSummary describes what a rule demands, in one line.
func ruleSummary(r *expect.Rule) string {
	switch r.Kind {
	case expect.Isolate:
		s := "isolate namespaces by " + r.Isolate.NamespacesBy
		if n := len(r.Isolate.Except); n > 0 {
			s += fmt.Sprintf(" (%d exception%s)", n, plural(n))
		}
		return s
	}
	return fmt.Sprintf("expect %s from %s to %s on %s", r.Kind, r.From, r.To, portsText(r.Ports))
}

func portsText(ps []expect.Port) string {
	if len(ps) == 0 {
		return "every port"
	}
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// failureKind names what went wrong with a failing rule.
func failureKind(r *expect.Result) string {
	switch {
	case r.Status == expect.Error:
		return "invalid-expectation"
	case r.Rule.Kind == expect.Allow:
		return "missing-allow"
	case r.Rule.Kind == expect.Isolate:
		return "isolation-breach"
	}
	return "unwanted-allow"
}

// headline is a one-line account of a rule that did not pass.
func headline(r *expect.Result) string {
	if r.Status == expect.Error {
		return r.Err.Error()
	}
	what := "allowed, must be denied"
	if r.Rule.Kind == expect.Allow {
		what = "not allowed, must be allowed"
	}
	s := fmt.Sprintf("%d of %d pair%s %s", r.FailedPairs, r.Pairs, plural(r.Pairs), what)
	if len(r.Violations) > 0 {
		s += ": " + r.Violations[0].String()
		if r.NumViolations > 1 {
			s += fmt.Sprintf(" (and %d more)", r.NumViolations-1)
		}
	}
	return s
}

// writeResultDetail writes the body of a rule that did not pass: what it
// demands, the offending flows, the cause and the trace of the first one.
func writeResultDetail(w io.Writer, r *expect.Result, max int, indent string) {
	fmt.Fprintf(w, "%s%s: %s\n", indent, r.Rule.Source, ruleSummary(r.Rule))
	if r.Status == expect.Error {
		fmt.Fprintf(w, "%s%s: error: %v\n", indent, r.Location, r.Err)
		return
	}
	what := "allowed, must be denied"
	if r.Rule.Kind == expect.Allow {
		what = "not allowed, must be allowed"
	}
	fmt.Fprintf(w, "%s%d of %d pair%s %s (%d flow%s):\n", indent, r.FailedPairs, r.Pairs, plural(r.Pairs), what, r.NumViolations, plural(r.NumViolations))
	for i, v := range r.Violations {
		if max > 0 && i == max {
			break
		}
		fmt.Fprintf(w, "%s  %s\n", indent, v)
	}
	if shown := min(len(r.Violations), limit(max, len(r.Violations))); r.NumViolations > shown {
		fmt.Fprintf(w, "%s  ... %d more\n", indent, r.NumViolations-shown)
	}
	writeCause(w, r.Cause, indent)
	writeTrace(w, r.Trace, indent)
	writePath(w, r.Path, indent)
}

// writePath writes the path that explains a flow of the access model
// (names in it come from manifests: escaped).
func writePath(w io.Writer, path []string, indent string) {
	if len(path) == 0 {
		return
	}
	fmt.Fprintf(w, "%sexplain:\n", indent)
	for _, ln := range path {
		fmt.Fprintf(w, "%s  %s\n", indent, safetext.Line(ln))
	}
}

func limit(max, n int) int {
	if max <= 0 {
		return n
	}
	return max
}

func writeCause(w io.Writer, c *expect.Cause, indent string) {
	if c == nil {
		return
	}
	if c.Location.IsValid() {
		fmt.Fprintf(w, "%scause: %s: %s\n", indent, c.Location, c.Text)
	} else {
		fmt.Fprintf(w, "%scause: %s\n", indent, c.Text)
	}
}

func writeTrace(w io.Writer, t *reachability.Trace, indent string) {
	if t == nil {
		return
	}
	fmt.Fprintf(w, "%sexplain:\n", indent)
	for _, ln := range strings.Split(strings.TrimRight(reachability.FormatTrace(t), "\n"), "\n") {
		fmt.Fprintf(w, "%s  %s\n", indent, ln)
	}
}

// driftHeadline is a one-line account of a golden drift.
func driftHeadline(d *expect.Drift) string {
	var parts []string
	if n := countFlows(d.Gained); n > 0 {
		parts = append(parts, fmt.Sprintf("%d flow%s gained", n, plural(n)))
	}
	if n := countFlows(d.Lost); n > 0 {
		parts = append(parts, fmt.Sprintf("%d flow%s lost", n, plural(n)))
	}
	if n := len(d.Added); n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s added", n, entryWord(d, n)))
	}
	if n := len(d.Removed); n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s removed", n, entryWord(d, n)))
	}
	if len(parts) == 0 {
		return "no drift"
	}
	return strings.Join(parts, ", ")
}

func entryWord(d *expect.Drift, n int) string {
	w := "endpoint"
	if d.Level == expect.LevelWorkload {
		w = "workload"
	}
	return w + plural(n)
}

func countFlows(cs []reachability.Change) int { return len(cs) }

// writeDriftDetail writes the changes of a golden drift.
func writeDriftDetail(w io.Writer, d *expect.Drift, max int, indent string) {
	for _, n := range d.Notes {
		fmt.Fprintf(w, "%snote: %s\n", indent, n)
	}
	for _, part := range []struct {
		title string
		names []string
	}{{"added", d.Added}, {"removed", d.Removed}} {
		if len(part.names) > 0 {
			fmt.Fprintf(w, "%s%s: %s\n", indent, part.title, strings.Join(part.names, ", "))
		}
	}
	for _, part := range []struct {
		title string
		cs    []reachability.Change
	}{{"gained", d.Gained}, {"lost", d.Lost}} {
		if len(part.cs) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s%s:\n", indent, part.title)
		for i, c := range part.cs {
			if max > 0 && i == max {
				fmt.Fprintf(w, "%s  ... %d more\n", indent, len(part.cs)-max)
				break
			}
			fmt.Fprintf(w, "%s  %s\n", indent, changeText(c))
		}
	}
	writeCause(w, d.Cause, indent)
	writeTrace(w, d.Trace, indent)
	writePath(w, d.Path, indent)
}

// changeText is "src -> dst 80/TCP: deny -> allow".
func changeText(c reachability.Change) string {
	p := reachability.PortAtom{Protocol: c.Protocol, Lo: c.Lo, Hi: c.Hi}
	return fmt.Sprintf("%s -> %s %s: %s -> %s", c.Src, c.Dst, p, c.Before, c.After)
}

// goldenName is the check's name for a golden file.
func goldenName(d *expect.Drift) string {
	return "golden matrix " + d.Golden
}

// location helpers

// resultLocations returns where a result is reported and its related
// location (the rule for an unwanted allow, the cause for a missing one).
func resultLocations(r *expect.Result) (primary policy.Location, related *policy.Location, relatedText string) {
	primary = r.Location
	if !primary.IsValid() {
		primary = r.Rule.Source
	}
	if r.Status != expect.Fail {
		return primary, nil, ""
	}
	if primary != r.Rule.Source {
		src := r.Rule.Source
		return primary, &src, "the expectation " + r.Rule.Name
	}
	if r.Cause != nil && r.Cause.Location.IsValid() {
		loc := r.Cause.Location
		return primary, &loc, r.Cause.Text
	}
	return primary, nil, ""
}
