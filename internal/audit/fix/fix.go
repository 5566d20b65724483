package fix

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/expect"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// Kind names a kind of mechanical fix.
type Kind string

// The fix kinds (docs/fixes.md describes each).
const (
	// AddDefaultDeny adds a NetworkPolicy that selects every pod of a
	// namespace and isolates it in the missing directions, with no rules
	// (NR001, NR002, NR003).
	AddDefaultDeny Kind = "add-default-deny"
	// CorrectNamespaceSelector rewrites a peer's namespaceSelector label
	// that no namespace carries (namespace: web) into the label every
	// namespace carries (kubernetes.io/metadata.name: web) (NR010).
	CorrectNamespaceSelector Kind = "correct-namespace-selector"
	// MovePorts moves a ports: list written under a peer, which the API
	// server drops, up to the rule it was meant to restrict (NR013).
	MovePorts Kind = "move-ports"
	// AddDNSEgress adds a NetworkPolicy that lets every pod of a namespace
	// reach the cluster DNS pods on 53/UDP and 53/TCP (NR014).
	AddDNSEgress Kind = "add-dns-egress"
	// EgressOnly writes policyTypes: [Egress] into a NetworkPolicy with
	// egress rules and no policyTypes, which the API server defaults to
	// [Ingress, Egress] so that it isolates ingress too (NR026).
	EgressOnly Kind = "egress-only-policy-types"
	// RemoveRedundantRule deletes a rule whose every flow other rules
	// decide the same way, making policyTypes explicit so that the
	// policy keeps isolating what it isolated (NR012).
	RemoveRedundantRule Kind = "remove-redundant-rule"
)

// Fix is one patch: a Kubernetes object to create or to replace, and what
// applying it does to the cluster's flows.
type Fix struct {
	// ID names the fix and its file (ID + ".yaml" under --fixes DIR).
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	// Title says in one line what the patch does.
	Title string `json:"title"`
	// Object is the object the patch creates or replaces; for a
	// replacement its Source locates the original.
	Object policy.ObjectRef `json:"object"`
	// Replaces is true when the patch edits an existing object (kubectl
	// apply replaces it), false when it creates a new one.
	Replaces bool `json:"replaces"`
	// YAML is the patch, ready for `kubectl apply -f`.
	YAML string `json:"yaml"`
	// Findings are the IDs of the findings the fix addresses ("NR003"),
	// with their index in the report's list of findings.
	Findings []FindingRef `json:"findings"`
	// Overlaps are the IDs of the other fixes that create or replace the
	// same object: each writes the whole object, so applying one undoes
	// the other. Apply one, then audit again.
	Overlaps []string `json:"overlaps,omitempty"`
	// Effect is what the patch does to the flows, as computed with the
	// patch applied; nil when the fix was not verified (see
	// NotVerified).
	Effect *Effect `json:"effect,omitempty"`
	// NotVerified says why Effect is missing (the limit of verified
	// fixes was reached, or the patched snapshot could not be computed).
	NotVerified string `json:"notVerified,omitempty"`
}

// FindingRef names one finding of a report: its ID and its index in the
// report's list of findings.
type FindingRef struct {
	ID    string `json:"id"`
	Index int    `json:"index"`
}

// Effect is what applying a fix does: the flows it closes and opens
// (exactly, computed on the patched snapshot), and the expectations it
// breaks.
type Effect struct {
	// Closed are the flows allowed (or conditional) before and less open
	// after; Opened those more open after.
	Closed Flows `json:"closed"`
	Opened Flows `json:"opened"`
	// Breaks lists the expectation rules (--expect) that hold before the
	// patch and fail after it; a fix with Breaks must not be applied as
	// is.
	Breaks []Break `json:"breaks,omitempty"`
}

// IsNoop reports whether the fix changes no flow.
func (e *Effect) IsNoop() bool { return e.Closed.Pairs == 0 && e.Opened.Pairs == 0 }

// Break is an expectation a fix would break.
type Break struct {
	// Rule is the expectation's name (or its text when it has none).
	Rule string `json:"rule"`
	// Source locates the rule in the expectations file.
	Source policy.Location `json:"source,omitzero"`
	// Violations counts the offending flows after the patch; Example is
	// the first of them.
	Violations int    `json:"violations"`
	Example    string `json:"example,omitempty"`
}

// Flows is a set of flows that changed, grouped by the source and
// destination's workloads (or external address range) and the ports
// that changed.
type Flows struct {
	// Pairs counts the (source, destination) pairs with at least one
	// changed port, exactly.
	Pairs int64 `json:"pairs"`
	// Groups are the changes grouped by source group, destination group
	// and ports, largest first; at most Options.MaxGroups of them.
	Groups []FlowGroup `json:"groups,omitempty"`
	// Omitted counts the groups left out of Groups.
	Omitted int `json:"omitted,omitempty"`
}

// FlowGroup is the pairs of one source group and one destination group
// whose flows changed on the same ports. A group is a workload
// ("namespace/Kind/name"), a pod without a workload ("namespace/name"), or
// an external address range.
type FlowGroup struct {
	Src string `json:"src"`
	Dst string `json:"dst"`
	// Ports are the changed ports, "80/TCP, 53/UDP" or "all ports".
	Ports string `json:"ports"`
	// Pairs counts the pairs of the group.
	Pairs int64 `json:"pairs"`
}

// Entry says, for one finding, which fix addresses it or why none does.
type Entry struct {
	Finding FindingRef `json:"finding"`
	// Fixes are the IDs of the fixes that address the finding (one per
	// namespace for a finding about several); empty when there is none.
	Fixes []string `json:"fixes,omitempty"`
	// NoFix says why there is no mechanical fix, for findings of a kind
	// that sometimes has one; set only when Fixes is empty.
	NoFix string `json:"noFix,omitempty"`
	// NoFixIn says, for a finding about several namespaces, why each
	// namespace that no fix of Fixes covers has none (omitted when no
	// namespace has a fix and they share NoFix's reason).
	NoFixIn []NamespaceNoFix `json:"noFixIn,omitempty"`
}

// NamespaceNoFix is why one namespace of a finding has no mechanical fix.
type NamespaceNoFix struct {
	Namespace string `json:"namespace"`
	Reason    string `json:"reason"`
}

// Reasons returns why the finding, or some of its namespaces, have no
// mechanical fix, one line per reason ("ns: reason" for a namespace);
// empty when every part of it has a fix.
func (e *Entry) Reasons() []string {
	var out []string
	if e.NoFix != "" {
		out = append(out, e.NoFix)
	}
	for _, n := range e.NoFixIn {
		out = append(out, n.Namespace+": "+n.Reason)
	}
	return out
}

// Result is the fixes of a report.
type Result struct {
	// Fixes are the distinct patches, in the order of the first finding
	// each addresses.
	Fixes []*Fix `json:"fixes"`
	// Entries has one entry per finding of a kind that can have a fix, in
	// the report's order.
	Entries []Entry `json:"entries"`
}

// Options tune [Generate]. The zero value means the defaults.
type Options struct {
	// Audit are the options the report was made with (DNS labels).
	Audit audit.Options
	// Expect, when set, marks the fixes that would break one of its
	// rules.
	Expect *expect.Expectations
	// Compute computes the matrix of a patched snapshot; nil means
	// reachability.Compute with the options of the report's matrix.
	Compute func(context.Context, *policy.Snapshot) (*reachability.Matrix, error)
	// MaxVerified bounds the fixes verified (each costs one computation
	// of the matrix); the others are listed with NotVerified set. 0 means
	// 50, a negative value no limit.
	MaxVerified int
	// MaxGroups bounds the groups listed per Flows; 0 means 20, a
	// negative value no limit.
	MaxGroups int
}

func (o Options) withDefaults(m *reachability.Matrix) Options {
	if o.Compute == nil {
		ropts := m.Options()
		o.Compute = func(ctx context.Context, s *policy.Snapshot) (*reachability.Matrix, error) {
			return reachability.Compute(ctx, s, ropts)
		}
	}
	if o.MaxVerified == 0 {
		o.MaxVerified = 50
	}
	if o.MaxGroups == 0 {
		o.MaxGroups = 20
	}
	if o.Audit.DNSLabels == nil {
		o.Audit.DNSLabels = map[string]string{"k8s-app": "kube-dns"}
	}
	return o
}

// Generate builds the fixes of the findings: the snapshot and matrix are
// those the findings were computed from. Each distinct patch is applied
// to the snapshot and verified once (see [Effect]), up to
// Options.MaxVerified of them.
func Generate(ctx context.Context, snap *policy.Snapshot, m *reachability.Matrix, findings []audit.Finding, opts Options) (*Result, error) {
	opts = opts.withDefaults(m)
	g := &generator{snap: snap, m: m, opts: opts, src: newSources()}
	res := &Result{Fixes: []*Fix{}, Entries: []Entry{}}
	byYAML := map[string]*Fix{}
	names := map[string]int{}
	for i := range findings {
		f := &findings[i]
		b, ok := generators[f.Kind]
		if !ok {
			continue
		}
		ref := FindingRef{ID: f.ID, Index: i}
		e := Entry{Finding: ref}
		ps, err := g.build(b, f, &e)
		if err != nil {
			e.NoFix = err.Error()
			res.Entries = append(res.Entries, e)
			continue
		}
		for _, p := range ps {
			fx := byYAML[p.yaml]
			if fx == nil {
				id := fmt.Sprintf("%s-%s", p.kind, slug(p.obj.Namespace, p.obj.Name))
				names[id]++
				if n := names[id]; n > 1 {
					id = fmt.Sprintf("%s-%d", id, n)
				}
				fx = &Fix{ID: id, Kind: p.kind, Title: p.title, Object: p.obj, Replaces: p.replaces, YAML: p.yaml}
				byYAML[p.yaml] = fx
				res.Fixes = append(res.Fixes, fx)
			}
			fx.Findings = append(fx.Findings, ref)
			e.Fixes = append(e.Fixes, fx.ID)
		}
		res.Entries = append(res.Entries, e)
	}
	markOverlaps(res.Fixes)
	v, err := newVerifier(ctx, snap, m, opts)
	if err != nil {
		return nil, err
	}
	for i, fx := range res.Fixes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if opts.MaxVerified >= 0 && i >= opts.MaxVerified {
			fx.NotVerified = fmt.Sprintf("not verified: only the first %d fixes are (raise the limit to verify more)", opts.MaxVerified)
			continue
		}
		eff, err := v.verify(ctx, fx)
		if err != nil {
			fx.NotVerified = "not verified: " + err.Error()
			continue
		}
		fx.Effect = eff
	}
	return res, nil
}

// markOverlaps links the fixes that write the same object.
func markOverlaps(fixes []*Fix) {
	byObject := map[string][]*Fix{}
	for _, fx := range fixes {
		byObject[fx.Object.Key()] = append(byObject[fx.Object.Key()], fx)
	}
	for _, fx := range fixes {
		for _, o := range byObject[fx.Object.Key()] {
			if o != fx {
				fx.Overlaps = append(fx.Overlaps, o.ID)
			}
		}
	}
}

// patch is what a generator builds for one finding.
type patch struct {
	kind     Kind
	title    string
	obj      policy.ObjectRef
	replaces bool
	yaml     string
}

// generator holds what the fix builders share.
type generator struct {
	snap *policy.Snapshot
	opts Options
	m    *reachability.Matrix
	src  *sources
	// missing is audit.MissingDefaultDeny, computed on first use.
	missing map[string][2]bool
}

// noFix is the error a builder returns when a finding has no mechanical
// fix; its text is the reason shown to users.
type noFix string

func (e noFix) Error() string { return string(e) }

func noFixf(format string, args ...any) error { return noFix(fmt.Sprintf(format, args...)) }

// builder builds the patches of one kind of finding: either for the
// finding as a whole, or, for the kinds whose remedy goes into each
// namespace of the finding (a merged finding names several, see
// audit.Finding.Namespaces), for one namespace at a time.
type builder struct {
	whole func(*generator, *audit.Finding) ([]*patch, error)
	inNS  func(g *generator, f *audit.Finding, ns string) (*patch, error)
}

// generators maps each finding kind that can have a mechanical fix to its
// builder.
var generators = map[audit.Kind]builder{
	audit.IngressNotIsolated: {inNS: (*generator).defaultDeny},
	audit.EgressNotIsolated:  {inNS: (*generator).defaultDeny},
	audit.NoDefaultDeny:      {inNS: (*generator).defaultDeny},
	audit.PeerMatchesNothing: {whole: (*generator).namespaceSelector},
	audit.UnknownField:       {whole: (*generator).movePorts},
	audit.DNSBlocked:         {inNS: (*generator).dnsEgress},
	audit.RuleRedundant:      {whole: (*generator).removeRule},
	audit.ImplicitIngress:    {whole: (*generator).egressOnly},
}

// build returns the patches of finding f. A per-namespace builder runs
// once for each namespace of the finding: the namespaces without a patch
// get their reason in e.NoFixIn, unless none has a patch and all share
// one reason, which is then the error.
func (g *generator) build(b builder, f *audit.Finding, e *Entry) ([]*patch, error) {
	if b.whole != nil {
		return b.whole(g, f)
	}
	nss := findingNamespaces(f)
	if len(nss) == 0 {
		return nil, noFix("the finding names no namespace")
	}
	var out []*patch
	var why []NamespaceNoFix
	for _, ns := range nss {
		p, err := b.inNS(g, f, ns)
		if err != nil {
			why = append(why, NamespaceNoFix{Namespace: ns, Reason: err.Error()})
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		same := true
		for _, w := range why {
			same = same && w.Reason == why[0].Reason
		}
		if same {
			return nil, noFix(why[0].Reason)
		}
		e.NoFixIn = why
		return nil, noFix("none of the finding's namespaces has a mechanical fix (see each one's reason)")
	}
	e.NoFixIn = why
	return out, nil
}

// Kinds returns the finding kinds that can have a mechanical fix, sorted.
func Kinds() []audit.Kind {
	return slices.Sorted(maps.Keys(generators))
}

// slug turns a namespace and name into a file-name-safe string.
func slug(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('-')
		}
		for _, r := range p {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.':
				b.WriteRune(r)
			case r >= 'A' && r <= 'Z':
				b.WriteRune(r - 'A' + 'a')
			default:
				b.WriteByte('_')
			}
		}
	}
	s := b.String()
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}
