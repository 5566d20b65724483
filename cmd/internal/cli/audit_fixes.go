package cli

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/netreach/netreach/cmd/internal/auditreport"
	"github.com/netreach/netreach/internal/access"
	"github.com/netreach/netreach/internal/audit/fix"
	"github.com/netreach/netreach/internal/expect"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// fixFlags are the flags of audit's verified fixes (docs/fixes.md).
type fixFlags struct {
	dir      string
	expect   string
	maxFixes int
	exp      *expect.Expectations // read by load
}

func (f *fixFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.dir, "fixes", "", "write a verified patch (YAML for kubectl apply) for every finding with a mechanical fix to this directory, with an index; the report says which flows each closes and opens (docs/fixes.md)")
	fl.StringVar(&f.expect, "expect", "", "expectations file (as for netreach check): mark the fixes that would break one of its rules (with --fixes)")
	fl.IntVar(&f.maxFixes, "max-fixes", 50, "verify at most this many fixes (each computes the matrix again); the others are written unverified")
}

// load checks the flags and reads the expectations, before the cluster
// is loaded, so that a typo fails fast.
func (f *fixFlags) load(e *env) error {
	if f.expect != "" && f.dir == "" {
		return usageError("--expect: needs --fixes DIR")
	}
	if f.maxFixes < 1 {
		return usageError("--max-fixes %d: expected 1 or more", f.maxFixes)
	}
	if f.expect == "" {
		return nil
	}
	x, err := expect.Load(f.expect)
	if err != nil {
		n := printDiagnostics(e.stderr, err)
		return &exitError{code: ExitBadData, err: fmt.Errorf("%d error%s in the expectations", n, plural(n))}
	}
	f.exp = x
	return nil
}

// run generates and verifies the fixes of the report's findings, writes
// them to the directory and adds them to the document; nothing without
// --fixes. Patched snapshots are computed as the report's was (opts and
// the access options aopts). The DNS pods are the audit's default ones
// (k8s-app=kube-dns).
func (f *fixFlags) run(ctx context.Context, doc *auditreport.Document, snap *policy.Snapshot, m *reachability.Matrix, opts reachability.Options, aopts access.Options) error {
	if f.dir == "" {
		return nil
	}
	fixes, err := fix.Generate(ctx, snap, m, doc.Report.Findings, fix.Options{
		Expect: f.exp, MaxVerified: f.maxFixes,
		Compute: func(ctx context.Context, s *policy.Snapshot) (*reachability.Matrix, error) {
			return access.Compute(ctx, s, opts, aopts)
		},
	})
	if err != nil {
		return &exitError{code: ExitBadData, err: err}
	}
	if err := fixes.WriteDir(f.dir); err != nil {
		return &exitError{code: ExitBadData, err: fmt.Errorf("--fixes: %w", err)}
	}
	doc.Fixes, doc.FixesDir = fixes, f.dir
	return nil
}
