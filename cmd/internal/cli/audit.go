package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/netreach/netreach/cmd/internal/auditreport"
	"github.com/netreach/netreach/internal/audit"
)

func init() { registerCommand(newAuditCmd) }

type auditFlags struct {
	in          inputFlags
	fixes       fixFlags
	output      string
	tenantLabel string
	shared      []string
	widePrefix  int
	widePrefix6 int
	failOn      string
	detail      string
	failOnNew   bool
	baseline    string
	waivers     string
}

func newAuditCmd(e *env) *cobra.Command {
	f := &auditFlags{}
	c := &cobra.Command{
		Use:   "audit -f FILE|DIR|- [-o html|md|json|sarif] [--tenant-label client] [--shared NS,...] [--wide-prefix 8] [--fail-on high [--fail-on-new]] [--baseline previous.json] [--waivers waivers.yaml]",
		Short: "Audit the cluster's network exposure: findings, flows between namespaces, lateral movement",
		Long: `audit computes the reachability matrix of the manifests and reports what a
security reviewer should look at, with evidence and a remedy for each
finding: pods that nothing isolates, namespaces without a default deny,
cross-namespace and cross-tenant flows (tenants grouped by a namespace
label), egress to the internet and wide CIDRs, ingress from outside the
cluster, policies and peers that match nothing, shadowed and redundant
rules, misplaced fields, pods that cannot resolve names, Calico Pass rules
with no later tier, staged policies that would change reachability, and
the lateral-movement blast radius of every endpoint.

Output formats:
  md     Markdown (default): a summary under 60,000 characters (top risks,
         counts, the most serious findings); --detail full for everything
  html   one self-contained page (inline CSS and SVG, no network access):
         severity summary, namespace heatmap, namespace graph, findings
         table with filters, per-namespace details
  json   the full report (apiVersion netreach.io/v1alpha1, kind AuditReport)
  sarif  SARIF 2.1.0 for code scanning: one result per finding

Findings first: the top risks rank the findings (grouped by tenant pair,
by policy and by remedy) by severity times the pod pairs or endpoints
they reach; the per-namespace kinds are one finding each, listing the
namespaces that need the remedy.

--baseline previous.json compares with an earlier report (-o json): each
finding is marked new or unchanged by its fingerprint, and the findings
that are gone are listed as fixed. --waivers waivers.yaml accepts findings
until a date (kind, objects, reason, expires; see docs/audit-waivers.md):
waived findings are listed apart and do not count for --fail-on; a waiver
past its date is a finding itself (NR030).

Exit codes: 0 ok, 1 an unwaived finding at or above --fail-on (with
--fail-on-new, only a new one), 2 bad input or usage.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runAudit(c.Context(), e, f) },
	}
	f.in.register(c)
	fl := c.Flags()
	f.fixes.register(fl)
	fl.StringVarP(&f.output, "output", "o", "md", "output format: html, md, json or sarif")
	fl.StringVar(&f.tenantLabel, "tenant-label", "client", "namespace label whose value names a namespace's tenant")
	fl.StringSliceVar(&f.shared, "shared", nil, "namespaces every tenant may use (ingress, monitoring, kube-system); flows to and from them are not cross-namespace findings (comma-separated, repeatable)")
	fl.IntVar(&f.widePrefix, "wide-prefix", 8, "flag allow rules with an IPv4 CIDR broader than this prefix length (0.0.0.0/0 is always flagged)")
	fl.IntVar(&f.widePrefix6, "wide-prefix6", 32, "flag allow rules with an IPv6 CIDR broader than this prefix length (::/0 is always flagged)")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when an unwaived finding has this severity or a higher one: info, low, medium, high or critical")
	fl.BoolVar(&f.failOnNew, "fail-on-new", false, "with --fail-on and --baseline: count only the findings the baseline does not have")
	fl.StringVar(&f.baseline, "baseline", "", "an earlier report (netreach audit -o json) to mark each finding new or unchanged and list the fixed ones")
	fl.StringVar(&f.waivers, "waivers", "", "a waivers file (YAML): findings accepted until a date, by kind and objects")
	fl.StringVar(&f.detail, "detail", "summary", "Markdown: summary (top risks, counts, the most serious findings; under 60,000 characters) or full (everything)")
	return c
}

func runAudit(ctx context.Context, e *env, f *auditFlags) error {
	var write func(io.Writer, *auditreport.Document) error
	switch f.output {
	case "md", "markdown":
		write = auditreport.WriteMarkdown
		if f.detail == "full" {
			write = auditreport.WriteMarkdownFull
		}
	case "html":
		write = auditreport.WriteHTML
	case "json":
		write = auditreport.WriteJSON
	case "sarif":
		write = auditreport.WriteSARIF
	default:
		return usageError("-o %q: expected html, md, json or sarif", f.output)
	}
	if f.detail != "summary" && f.detail != "full" {
		return usageError("--detail %q: expected summary or full", f.detail)
	}
	var failOn *audit.Severity
	if f.failOn != "" {
		s, err := audit.ParseSeverity(f.failOn)
		if err != nil {
			return usageError("--fail-on %q: expected info, low, medium, high or critical", f.failOn)
		}
		failOn = &s
	}
	if f.failOnNew && (failOn == nil || f.baseline == "") {
		return usageError("--fail-on-new: needs --fail-on and --baseline")
	}
	if f.tenantLabel == "" {
		return usageError("--tenant-label: expected a label key")
	}
	if err := f.fixes.load(e); err != nil {
		return err
	}
	if f.widePrefix < 1 || f.widePrefix > 32 {
		return usageError("--wide-prefix %d: expected 1 to 32", f.widePrefix)
	}
	if f.widePrefix6 < 1 || f.widePrefix6 > 128 {
		return usageError("--wide-prefix6 %d: expected 1 to 128", f.widePrefix6)
	}
	waivers, baseline, err := f.readAuditFiles(e)
	if err != nil {
		return err
	}
	snap, opts, err := f.in.load(e)
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	m, err := f.in.compute(ctx, e, snap, opts)
	if err != nil {
		return err
	}
	aopts, err := f.in.access.options()
	if err != nil {
		return err
	}
	r, err := audit.New(ctx, snap, m, audit.Options{
		TenantLabel: f.tenantLabel, Shared: f.shared, WidePrefix: f.widePrefix, WidePrefix6: f.widePrefix6, Access: aopts,
		Waivers: waivers, Baseline: baseline,
	})
	if err != nil {
		return &exitError{code: ExitBadData, err: err}
	}
	doc := &auditreport.Document{Version: Version, Inputs: f.in.files, Report: r, Matrix: m}
	if err := f.fixes.run(ctx, doc, snap, m, opts, aopts); err != nil {
		return err
	}
	if wd, err := os.Getwd(); err == nil {
		doc.BaseDir = wd
	}
	if err := write(e.stdout, doc); err != nil {
		return &exitError{code: ExitBadData, err: err}
	}
	if failOn != nil {
		n := 0
		for _, fd := range r.Findings { // waived findings are not in Findings
			if fd.Severity >= *failOn && (!f.failOnNew || fd.Status == audit.StatusNew) {
				n++
			}
		}
		if n > 0 {
			what := ""
			if f.failOnNew {
				what = "new "
			}
			return &exitError{code: ExitFailed, err: fmt.Errorf("%d %sfinding%s at or above severity %s", n, what, plural(n), *failOn)}
		}
	}
	return nil
}

// readAuditFiles reads the waivers file and the baseline report, when
// given; unknown fields of the waivers file are warnings on stderr.
func (f *auditFlags) readAuditFiles(e *env) ([]audit.Waiver, *audit.Baseline, error) {
	var ws []audit.Waiver
	if f.waivers != "" {
		data, err := os.ReadFile(f.waivers)
		if err != nil {
			return nil, nil, &exitError{code: ExitBadData, err: fmt.Errorf("--waivers: %w", err)}
		}
		var warnings []string
		ws, warnings, err = audit.ParseWaivers(f.waivers, data)
		for _, w := range warnings {
			fmt.Fprintln(e.stderr, "warning: "+w)
		}
		if err != nil {
			return nil, nil, &exitError{code: ExitBadData, err: err}
		}
	}
	var b *audit.Baseline
	if f.baseline != "" {
		data, err := os.ReadFile(f.baseline)
		if err != nil {
			return nil, nil, &exitError{code: ExitBadData, err: fmt.Errorf("--baseline: %w", err)}
		}
		if b, err = audit.ReadBaseline(f.baseline, data); err != nil {
			return nil, nil, &exitError{code: ExitBadData, err: err}
		}
	}
	return ws, b, nil
}
