package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/netreach/netreach/cmd/internal/checkout"
	"github.com/netreach/netreach/internal/expect"
	"github.com/netreach/netreach/internal/policy"
)

func init() { registerCommand(newCheckCmd) }

type checkFlags struct {
	in          inputFlags
	expect      []string
	golden      string
	goldenLevel string
	maxExamples int
	output      string
}

func newCheckCmd(e *env) *cobra.Command {
	f := &checkFlags{}
	c := &cobra.Command{
		Use:   "check -f FILE|DIR|- --expect expectations.yaml [--golden matrix.json] [--max-examples N] [-o text|json|junit|sarif]",
		Short: "Check the reachability matrix against expectations and a golden matrix (a CI gate)",
		Long: `check computes the reachability matrix of the manifests and checks it against
an expectations file (--expect, repeatable) and/or a golden matrix written
earlier by 'netreach matrix -o json' (--golden).

Exit codes: 0 every check holds, 1 a check failed, 2 bad input or usage, or
an expectation that cannot be evaluated (a selection that picks nothing).

Each failing rule is listed with up to --max-examples offending flows, the
policy rule that caused the first one and its explain trace. The golden
comparison lists the flows gained and lost; pods renamed by a new
pod-template hash still match at workload level (the default whenever the
golden's entries name their workload: --golden-level auto).

Output formats:
  text   for people (default)
  json   the full report (apiVersion netreach.io/v1alpha1, kind CheckReport)
  junit  JUnit XML: one test case per rule, one for the golden matrix
  sarif  SARIF 2.1.0 for code scanning: one result per failing rule, located
         at the policy line that allowed the flow (or, for a missing allow,
         at the expectation)`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runCheck(c.Context(), e, f) },
	}
	f.in.register(c)
	fl := c.Flags()
	fl.StringArrayVar(&f.expect, "expect", nil, "expectations file (apiVersion netreach.io/v1alpha1, kind Expectations); repeatable")
	fl.StringVar(&f.golden, "golden", "", "golden matrix written by netreach matrix -o json")
	fl.StringVar(&f.goldenLevel, "golden-level", "auto", "how golden endpoints are matched: auto, workload (pods by their owning workload) or endpoint (by name)")
	fl.IntVar(&f.maxExamples, "max-examples", 10, "offending flows listed per check (0: all)")
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text, json, junit or sarif")
	return c
}

func runCheck(ctx context.Context, e *env, f *checkFlags) error {
	var write func(io.Writer, *checkout.Report) error
	switch f.output {
	case "text":
		write = checkout.WriteText
	case "json":
		write = checkout.WriteJSON
	case "junit":
		write = checkout.WriteJUnit
	case "sarif":
		write = checkout.WriteSARIF
	default:
		return usageError("-o %q: expected text, json, junit or sarif", f.output)
	}
	if len(f.expect) == 0 && f.golden == "" {
		return usageError("nothing to check: give --expect FILE and/or --golden FILE")
	}
	if f.maxExamples < 0 {
		return usageError("--max-examples %d: expected 0 (all) or more", f.maxExamples)
	}
	level, err := expect.ParseLevel(f.goldenLevel)
	if err != nil {
		return usageError("--golden-level: %v", err)
	}
	// Read the expectations and the golden first: a typo there should not
	// wait for a large cluster to load.
	var xs []*expect.Expectations
	bad := 0
	for _, path := range f.expect {
		x, err := expect.Load(path)
		if err != nil {
			bad += printDiagnostics(e.stderr, err)
			continue
		}
		xs = append(xs, x)
	}
	var golden *expect.Golden
	if f.golden != "" {
		if golden, err = expect.LoadGolden(f.golden); err != nil {
			bad += printDiagnostics(e.stderr, err)
		}
	}
	if bad > 0 {
		return &exitError{code: ExitBadData, err: fmt.Errorf("%d error%s in the expectations or the golden matrix", bad, plural(bad))}
	}
	snap, opts, err := f.in.load(e)
	if err != nil {
		return err
	}
	m, err := f.in.compute(ctx, e, snap, opts)
	if err != nil {
		return err
	}
	max := f.maxExamples
	if max == 0 {
		max = -1 // all
	}
	rep := &checkout.Report{Version: Version, Options: m.Describe(), MaxExamples: f.maxExamples}
	if wd, err := os.Getwd(); err == nil {
		rep.BaseDir = wd
	}
	for _, x := range xs {
		rep.Results = append(rep.Results, x.Evaluate(m, expect.Options{MaxExamples: max})...)
	}
	if golden != nil {
		rep.Drift = golden.Compare(m, level)
	}
	if err := write(e.stdout, rep); err != nil {
		return &exitError{code: ExitBadData, err: err}
	}
	s := rep.Summary()
	switch {
	case s.Errors > 0:
		return &exitError{code: ExitBadData, err: fmt.Errorf("%s: an expectation cannot be evaluated", s)}
	case s.Failed > 0:
		return &exitError{code: ExitFailed, err: fmt.Errorf("%s", s)}
	}
	return nil
}

// printDiagnostics prints an error of expect.Load or LoadGolden, one
// diagnostic per line, and returns how many errors it holds.
func printDiagnostics(w io.Writer, err error) int {
	var ds policy.Diagnostics
	if errors.As(err, &ds) {
		for _, d := range ds {
			fmt.Fprintln(w, d.String())
		}
		return len(ds.Errors())
	}
	fmt.Fprintln(w, err)
	return 1
}
