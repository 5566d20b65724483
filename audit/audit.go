package audit

import (
	"context"
	"time"

	iaudit "github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/bridge"
	"github.com/netreach/netreach/internal/public"
	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/reachability"
)

// Options tune the audit. The zero value means the defaults documented on
// each field.
type Options struct {
	// TenantLabel is the namespace label whose value names a namespace's
	// tenant; empty means "client".
	TenantLabel string
	// Shared lists namespaces every tenant may use (ingress controllers,
	// monitoring, kube-system): flows to and from them are neither
	// cross-namespace nor cross-tenant findings.
	Shared []string
	// WidePrefix flags allow rules with an IPv4 CIDR broader than a
	// /WidePrefix; 0 means 8. WidePrefix6 is the same for IPv6; 0 means
	// 32. 0.0.0.0/0 and ::/0 are always flagged.
	WidePrefix, WidePrefix6 int
	// DNSLabels are the labels of the cluster DNS pods; nil means
	// k8s-app=kube-dns.
	DNSLabels map[string]string
	// SkipExposure leaves out the analysis of pods that every pod that
	// could be created can reach (kind exposed-to-entire-cluster), whose
	// cost grows with the number of endpoint classes and policies.
	SkipExposure bool
	// Waivers suppress findings until they expire; see [ParseWaivers].
	Waivers []Waiver
	// Baseline, when not nil, holds the findings of an earlier run (its
	// Findings and Waived): each finding of this run is marked
	// [StatusNew] or [StatusUnchanged] by its fingerprint, and the
	// baseline's findings that are gone are listed in [Report.Fixed].
	Baseline []Finding
	// Now is the day waivers expire against; zero means today.
	Now time.Time
}

// Report is the outcome of an audit.
type Report struct {
	// Findings are the findings that count: no waiver in force covers
	// them. Sorted by risk (most serious first), ID, namespace, objects.
	Findings []Finding
	// Waived are the findings a waiver in force covers, each with its
	// waiver.
	Waived []Finding
	// Fixed are the baseline's findings that are gone, with
	// [StatusFixed]; nil without a baseline.
	Fixed []Finding
}

// HasRisk reports whether some finding of r.Findings has risk min or
// above: the audit gate (`netreach audit --fail-on`).
func (r *Report) HasRisk(min Risk) bool {
	if r == nil {
		return false
	}
	for _, f := range r.Findings {
		if f.Risk >= min {
			return true
		}
	}
	return false
}

// Run audits the matrix m, with the snapshot m was computed from. The
// error is ctx's when ctx is cancelled (comparing staged policies and the
// exposure analysis compute further matrices), or an
// [*policy.InvalidInputError] for a nil m or ctx. Its cost is a few times that
// of computing m.
func Run(ctx context.Context, m *reachability.Matrix, opts Options) (*Report, error) {
	im := bridge.Matrix(m)
	if im == nil || ctx == nil {
		return nil, &policy.InvalidInputError{Op: "audit: Run", Reason: "nil matrix or context"}
	}
	io := iaudit.Options{
		TenantLabel:  opts.TenantLabel,
		Shared:       opts.Shared,
		WidePrefix:   opts.WidePrefix,
		WidePrefix6:  opts.WidePrefix6,
		DNSLabels:    opts.DNSLabels,
		SkipExposure: opts.SkipExposure,
		SkipExcerpts: true, // findings carry locations, not file excerpts
		Now:          opts.Now,
	}
	for _, w := range opts.Waivers {
		io.Waivers = append(io.Waivers, w.internal())
	}
	if opts.Baseline != nil {
		io.Baseline = &iaudit.Baseline{}
		for _, f := range opts.Baseline {
			io.Baseline.Findings = append(io.Baseline.Findings, iaudit.Finding{ID: f.ID, Fingerprint: f.Fingerprint})
		}
	}
	r, err := iaudit.New(ctx, nil, im, io)
	if err != nil {
		return nil, public.Error(err)
	}
	out := &Report{Findings: findingsFrom(r.Findings), Waived: findingsFrom(r.Waived)}
	if opts.Baseline != nil {
		// The internal report's fixed findings carry only what was passed
		// in; give back the caller's findings.
		byPrint := make(map[string]Finding, len(opts.Baseline))
		for _, f := range opts.Baseline {
			byPrint[f.Fingerprint] = f
		}
		out.Fixed = []Finding{}
		for _, f := range r.Fixed {
			b := byPrint[f.Fingerprint]
			b.Status = StatusFixed
			out.Fixed = append(out.Fixed, b)
		}
	}
	return out, nil
}
