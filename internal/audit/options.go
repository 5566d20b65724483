package audit

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/netreach/netreach/internal/access"
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
	// WidePrefix flags allow rules with an IPv4 CIDR shorter than this
	// prefix length (broader than a /WidePrefix); 0 means 8. 0.0.0.0/0 is
	// always flagged.
	WidePrefix int
	// WidePrefix6 is WidePrefix for IPv6; 0 means 32. ::/0 is always
	// flagged.
	WidePrefix6 int
	// DNSLabels are the labels of the cluster DNS pods; nil means
	// k8s-app=kube-dns.
	DNSLabels map[string]string
	// BlastRadiusTop is how many endpoints the blast-radius findings name
	// at most; 0 means 5, a negative value none.
	BlastRadiusTop int
	// BlastRadiusShare is the share of the other endpoints (0 to 1) an
	// endpoint must reach transitively for a blast-radius finding; 0
	// means 0.25.
	BlastRadiusShare float64
	// MaxStagedCompare bounds how many staged policies are compared one
	// by one with the enforced view (each needs a full computation); above
	// it all of them are compared at once, in one finding. 0 means 16.
	MaxStagedCompare int
	// SkipExposure leaves out the exposure analysis behind NR025 (pods
	// every pod that could be created can reach), whose cost grows with
	// the number of endpoint classes and policies.
	SkipExposure bool
	// SkipExcerpts leaves out the excerpts of the input files around
	// each finding's location (see [Finding.Excerpt]), which are read
	// from the files the locations name.
	SkipExcerpts bool
	// Waivers suppress findings until they expire (see [ParseWaivers]).
	Waivers []Waiver
	// Baseline, when set, is an earlier report's findings: each finding
	// is marked new or unchanged, and the gone ones are listed as fixed.
	Baseline *Baseline
	// Now is the day waivers expire against; zero means today.
	Now time.Time
	// Access are the options the matrix's access layer was computed with
	// (package access); they only change how the ways in are described.
	Access access.Options
}

// withDefaults fills in the zero fields.
func (o Options) withDefaults() Options {
	if o.TenantLabel == "" {
		o.TenantLabel = "client"
	}
	if o.WidePrefix <= 0 {
		o.WidePrefix = 8
	}
	if o.WidePrefix6 <= 0 {
		o.WidePrefix6 = 32
	}
	if o.DNSLabels == nil {
		o.DNSLabels = map[string]string{"k8s-app": "kube-dns"}
	}
	if o.BlastRadiusTop == 0 {
		o.BlastRadiusTop = 5
	}
	if o.BlastRadiusShare <= 0 {
		o.BlastRadiusShare = 0.25
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.MaxStagedCompare <= 0 {
		o.MaxStagedCompare = 16
	}
	o.Shared = slices.Sorted(slices.Values(o.Shared))
	o.Shared = slices.Compact(o.Shared)
	return o
}

// String describes the options as "key=value" pairs, with the defaults
// filled in, for echoing in reports.
func (o Options) String() string {
	o = o.withDefaults()
	var dns []string
	for _, k := range slices.Sorted(maps.Keys(o.DNSLabels)) {
		dns = append(dns, k+"="+o.DNSLabels[k])
	}
	return fmt.Sprintf("tenantLabel=%s shared=%s widePrefix=%d widePrefix6=%d dns=%s blastRadiusShare=%g",
		o.TenantLabel, strings.Join(o.Shared, ","), o.WidePrefix, o.WidePrefix6, strings.Join(dns, ","), o.BlastRadiusShare)
}
