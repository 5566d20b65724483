package auditreport

import (
	"path/filepath"
	"strconv"

	"github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/audit/fix"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// Document is what a report is rendered from.
type Document struct {
	// Version is the tool version written into every output.
	Version string
	// Inputs are the -f arguments, as given.
	Inputs []string
	// BaseDir, when set, is the absolute directory that SARIF paths are
	// made relative to (the working directory); relative paths are kept.
	BaseDir string
	Report  *audit.Report
	// Matrix, when set, is the matrix the report was computed from; the
	// HTML page takes its workload drill-down from it.
	Matrix *reachability.Matrix
	// Fixes are the verified fixes of the findings (audit --fixes), nil
	// when none were generated; FixesDir is where their files were
	// written.
	Fixes    *fix.Result
	FixesDir string
}

// JSONAPIVersion and JSONKind identify the JSON form of a report.
const (
	JSONAPIVersion = "netreach.io/v1alpha1"
	JSONKind       = "AuditReport"
)

// InformationURI is the tool's home, written into SARIF.
const InformationURI = "https://github.com/netreach/netreach"

// locText formats a location as "file:line", or "" when unknown.
func locText(l policy.Location) string {
	if !l.IsValid() {
		return ""
	}
	if l.Line > 0 {
		return filepath.ToSlash(l.File) + ":" + itoa(l.Line)
	}
	return filepath.ToSlash(l.File)
}

func itoa(n int) string { return strconv.Itoa(n) }

// objectText names an object with its location: "NetworkPolicy a/b
// (policy.yaml:12)".
func objectText(o policy.ObjectRef) string {
	if l := locText(o.Source); l != "" {
		return o.String() + " (" + l + ")"
	}
	return o.String()
}

// severityCounts returns the counts of a report in display order.
func severityCounts(r *audit.Report) []sevCount {
	out := make([]sevCount, 0, 5)
	for _, s := range audit.Severities() {
		out = append(out, sevCount{s, r.Summary.BySeverity.Of(s)})
	}
	return out
}

type sevCount struct {
	Severity audit.Severity
	Count    int
}

// percent formats n/d as a whole percentage.
func percent(n, d int) string {
	if d == 0 {
		return "0%"
	}
	p := (200*n + d) / (2 * d)
	if p == 0 && n > 0 {
		return "<1%"
	}
	if p == 100 && n < d {
		return ">99%"
	}
	return itoa(p) + "%"
}

// countOf returns "1 pod" or "3 pods".
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return itoa(n) + " " + noun + "s"
}
