package audit

import (
	"cmp"
	"context"
	"net/netip"
	"slices"
	"strconv"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// Report is an audit's findings plus what a report renders around them.
// Every list is sorted, so a Report (and its JSON form) is deterministic.
type Report struct {
	// Settings are the matrix's mode and switches, as
	// [reachability.Matrix.Describe] prints them.
	Settings string `json:"settings"`
	// AuditOptions are the audit's options with defaults filled in, as
	// [Options.String] prints them.
	AuditOptions string  `json:"auditOptions"`
	Summary      Summary `json:"summary"`
	// TopRisks ranks the findings, grouped by tenant pair, by policy and
	// by remedy, by [RiskScore]; its entries index Findings.
	TopRisks []Risk `json:"topRisks"`
	// Findings are the findings that count: no waiver in force covers
	// them.
	Findings []Finding `json:"findings"`
	// Waived are the findings a waiver in force covers, each with its
	// waiver.
	Waived []Finding `json:"waived,omitempty"`
	// Fixed are the baseline's findings that are gone, when a baseline
	// is given.
	Fixed []Finding `json:"fixed,omitempty"`
	// Namespaces are every namespace of the inventory, by name.
	Namespaces []NamespaceReport `json:"namespaces"`
	// Flows[i][j] is the number of ordered pairs of distinct pods, one in
	// Namespaces[i] and one in Namespaces[j], where the first can open a
	// connection to the second on some port: the heatmap.
	Flows [][]int `json:"flows"`
	// External are the address ranges outside the cluster that take part
	// in some allowed flow, grouped by the flows they take part in.
	External []ExternalNode `json:"external"`
	// LateralGroups are sets of namespaces whose pods can all reach one
	// another, directly or through other pods.
	LateralGroups [][]string `json:"lateralGroups,omitempty"`
	// BlastRadius holds every endpoint's reach, largest first.
	BlastRadius []Radius `json:"blastRadius"`
}

// Summary counts the main quantities of a report.
type Summary struct {
	Mode       string `json:"mode"`
	Namespaces int    `json:"namespaces"`
	Endpoints  int    `json:"endpoints"`
	// PodNetwork counts the endpoints on the pod network (policy
	// subjects); IsolatedIngress and IsolatedEgress how many of them are
	// isolated in each direction.
	PodNetwork      int `json:"podNetwork"`
	IsolatedIngress int `json:"isolatedIngress"`
	IsolatedEgress  int `json:"isolatedEgress"`
	Policies        int `json:"policies"`
	Classes         int `json:"classes"`
	ExternalAtoms   int `json:"externalAtoms"`
	PortAtoms       int `json:"portAtoms"`
	// AllowedPairs is the number of ordered pairs of distinct endpoints
	// that can connect on some port, out of Pairs.
	AllowedPairs int `json:"allowedPairs"`
	Pairs        int `json:"pairs"`
	// BySeverity counts the findings per severity.
	BySeverity SeverityCounts `json:"bySeverity"`
	// Waived counts the waived findings; New and Fixed the findings new
	// since the baseline and gone from it, when one is given.
	Waived int `json:"waived,omitempty"`
	New    int `json:"new,omitempty"`
	Fixed  int `json:"fixed,omitempty"`
}

// SeverityCounts counts findings per severity.
type SeverityCounts struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
}

// Of returns the count of severity s.
func (c SeverityCounts) Of(s Severity) int {
	return [...]int{c.Info, c.Low, c.Medium, c.High, c.Critical}[s]
}

// NamespaceReport is the detail of one namespace.
type NamespaceReport struct {
	Name string `json:"name"`
	// Tenant is the value of the tenant label, empty when absent.
	Tenant string `json:"tenant,omitempty"`
	Shared bool   `json:"shared,omitempty"`
	// Synthesized is true for a namespace the input refers to but does
	// not declare.
	Synthesized        bool            `json:"synthesized,omitempty"`
	Source             policy.Location `json:"source,omitzero"`
	DefaultDenyIngress bool            `json:"defaultDenyIngress"`
	DefaultDenyEgress  bool            `json:"defaultDenyEgress"`
	Pods               []PodReport     `json:"pods"`
	// Policies are the policies that apply to some pod of the namespace
	// or live in it, by key.
	Policies []policy.ObjectRef `json:"policies"`
	// Inbound and Outbound are the other namespaces with allowed flows
	// to and from this one, counted in pod pairs.
	Inbound  []PeerCount `json:"inbound"`
	Outbound []PeerCount `json:"outbound"`
	// ExternalIn and ExternalOut are the external nodes that can reach
	// pods of the namespace and that its pods can reach, counted in pods.
	ExternalIn  []PeerCount `json:"externalIn"`
	ExternalOut []PeerCount `json:"externalOut"`
	// Findings counts the findings about the namespace (those whose
	// Namespace or Namespaces name it).
	Findings int `json:"findings"`
}

// PodReport is one endpoint of a namespace.
type PodReport struct {
	Name            string          `json:"name"`
	Workload        string          `json:"workload,omitempty"`
	HostNetwork     bool            `json:"hostNetwork,omitempty"`
	IsolatedIngress bool            `json:"isolatedIngress"`
	IsolatedEgress  bool            `json:"isolatedEgress"`
	Direct          int             `json:"direct"`
	Reach           int             `json:"reach"`
	Source          policy.Location `json:"source,omitzero"`
}

// PeerCount is a namespace or external node and a count.
type PeerCount struct {
	Peer  string `json:"peer"`
	Count int    `json:"count"`
}

// ExternalNode is a group of external address ranges that take part in
// the same allowed flows.
type ExternalNode struct {
	// Name is a short label: the first range, and how many more.
	Name   string   `json:"name"`
	Ranges []string `json:"ranges"`
	// Internet is true when the ranges hold public internet addresses.
	Internet bool `json:"internet"`
	// From counts, per namespace, the pods that can reach the ranges;
	// To the pods the ranges can reach.
	From []PeerCount `json:"from"`
	To   []PeerCount `json:"to"`
}

// Findings audits the matrix m of snapshot snap (the snapshot as loaded,
// before any staged view; nil means m's own) and returns the findings,
// sorted. It is [New] without the report around the findings.
func Findings(snap *policy.Snapshot, m *reachability.Matrix, opts Options) []Finding {
	fs, _ := FindingsContext(context.Background(), snap, m, opts)
	return fs
}

// FindingsContext is [Findings] with a context, and with [New]'s error:
// ctx's when it is cancelled, or an invalid input.
func FindingsContext(ctx context.Context, snap *policy.Snapshot, m *reachability.Matrix, opts Options) ([]Finding, error) {
	r, err := New(ctx, snap, m, opts)
	if err != nil {
		return nil, err
	}
	return r.Findings, nil
}

// New audits the matrix m of snapshot snap (the snapshot as loaded, before
// any staged view; nil means m's own) and builds the report. The error is
// ctx's when it is cancelled while comparing staged policies, which
// needs further reachability computations.
func New(ctx context.Context, snap *policy.Snapshot, m *reachability.Matrix, opts Options) (*Report, error) {
	if m == nil {
		return nil, &policy.InvalidInputError{Op: "audit: New", Reason: "nil matrix"}
	}
	if snap == nil {
		snap = m.Snapshot()
	}
	opts = opts.withDefaults()
	a := newAnalysis(snap, m, opts)
	iso := a.isolation()
	counts := a.namespaceCounts()
	lat := a.lateralMovement()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	var fs []Finding
	voidedFs, voided := a.voidedFindings(iso)
	fs = append(fs, voidedFs...)
	fs = append(fs, a.isolationFindings(iso, voided)...)
	fs = append(fs, a.implicitIngressFindings()...)
	fs = append(fs, a.flowFindings(counts)...)
	fs = append(fs, a.externalFindings()...)
	fs = append(fs, a.internetFindings()...)
	fs = append(fs, a.wideCIDRFindings()...)
	fs = append(fs, a.selectsNothingFindings()...)
	fs = append(fs, a.peerFindings()...)
	fs = append(fs, a.shadowFindings()...)
	fs = append(fs, a.unknownFieldFindings()...)
	fs = append(fs, a.dnsFindings(iso)...)
	fs = append(fs, a.dnsUpstreamFindings()...)
	fs = append(fs, a.emptyValueSelectorFindings()...)
	fs = append(fs, a.kyvernoFindings()...)
	staged, err := a.stagedFindings(ctx)
	if err != nil {
		return nil, err
	}
	fs = append(fs, staged...)
	fs = append(fs, a.blastFindings(lat)...)
	meshFs, err := a.meshFindings(ctx, iso)
	if err != nil {
		return nil, err
	}
	fs = append(fs, meshFs...)
	entire, err := a.entireClusterFindings(ctx, iso)
	if err != nil {
		return nil, err
	}
	fs = append(fs, entire...)
	fs = append(fs, a.sharedEgressFindings()...)
	a.fillAffected(fs)
	a.fingerprints(fs)
	fs, waived, expired := applyWaivers(fs, opts.Waivers, opts.Now)
	a.fingerprints(expired)
	fs = a.merge(append(fs, expired...))
	waived = a.merge(waived)
	sortFindings(fs)
	sortFindings(waived)
	var fixed []Finding
	if opts.Baseline != nil {
		fixed = opts.Baseline.compare(fs, waived)
	}
	if !opts.SkipExcerpts {
		excerpts(fs)
		excerpts(waived)
	}

	r := &Report{
		Settings:      m.Describe(),
		AuditOptions:  opts.String(),
		Findings:      fs,
		Waived:        waived,
		Fixed:         fixed,
		Flows:         counts,
		LateralGroups: lat.groups,
		BlastRadius:   a.radii(lat),
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	r.TopRisks = a.topRisks(r.Findings)
	r.External = a.externalNodes()
	a.fillNamespaces(r, iso, lat)
	a.fillSummary(r, iso)
	return r, nil
}

func (a *analysis) fillSummary(r *Report, iso [2]graph.Set) {
	s := &r.Summary
	s.Mode = a.m.Mode().String()
	s.Namespaces = len(a.namespaces)
	s.Endpoints = a.nE
	s.Classes = a.nC
	s.ExternalAtoms = len(a.atoms)
	s.PortAtoms = len(a.ports)
	for _, t := range a.prog.Tiers {
		s.Policies += len(t.Policies)
	}
	for c := range a.nC {
		if a.rep[c] == nil || !a.podNet.Has(c) {
			continue
		}
		n := len(a.members[c])
		s.PodNetwork += n
		if iso[0].Has(c) {
			s.IsolatedIngress += n
		}
		if iso[1].Has(c) {
			s.IsolatedEgress += n
		}
	}
	for _, row := range r.Flows {
		for _, n := range row {
			s.AllowedPairs += n
		}
	}
	s.Pairs = a.nE * (a.nE - 1)
	n := CountBySeverity(r.Findings)
	s.BySeverity = SeverityCounts{Critical: n[Critical], High: n[High], Medium: n[Medium], Low: n[Low], Info: n[Info]}
	s.Waived, s.Fixed = len(r.Waived), len(r.Fixed)
	for _, f := range r.Findings {
		if f.Status == StatusNew {
			s.New++
		}
	}
}

// fillNamespaces builds the per-namespace details.
func (a *analysis) fillNamespaces(r *Report, iso [2]graph.Set, lat lateral) {
	policies := make([]map[string]policy.ObjectRef, len(a.namespaces))
	for i := range policies {
		policies[i] = map[string]policy.ObjectRef{}
	}
	for _, t := range a.prog.Tiers {
		for _, l := range t.Policies {
			if g, ok := a.nsIndex[l.Ref.Namespace]; ok {
				policies[g][l.Ref.Key()] = l.Ref
			}
			for c := range a.subject(l).All() {
				if c < a.nC {
					policies[a.nsOfClass[c]][l.Ref.Key()] = l.Ref
				}
			}
		}
	}
	findings := map[string]int{}
	for _, f := range r.Findings {
		if f.Namespace != "" && !slices.Contains(f.Namespaces, f.Namespace) {
			findings[f.Namespace]++
		}
		for _, ns := range f.Namespaces {
			findings[ns]++
		}
	}
	for g, name := range a.namespaces {
		nr := NamespaceReport{Name: name, Tenant: a.tenant(name), Shared: a.shared(name), Findings: findings[name],
			Pods: []PodReport{}, Policies: []policy.ObjectRef{}, Inbound: []PeerCount{}, Outbound: []PeerCount{},
			ExternalIn: []PeerCount{}, ExternalOut: []PeerCount{}}
		if ns := a.snap.Namespace(name); ns != nil {
			nr.Synthesized = ns.Synthesized
			nr.Source = ns.Source
		}
		dd := a.defaultDeny(name)
		nr.DefaultDenyIngress, nr.DefaultDenyEgress = dd[0], dd[1]
		for i := range a.nE {
			e := a.m.Endpoint(i)
			if e.Namespace != name {
				continue
			}
			c := a.classOf[i]
			nr.Pods = append(nr.Pods, PodReport{Name: e.Name, Workload: e.Workload, HostNetwork: e.HostNetwork,
				IsolatedIngress: iso[0].Has(c), IsolatedEgress: iso[1].Has(c), Direct: lat.direct[c], Reach: lat.reach[c], Source: e.Source})
		}
		for _, k := range slices.Sorted(mapsKeys(policies[g])) {
			nr.Policies = append(nr.Policies, policies[g][k])
		}
		for h, other := range a.namespaces {
			if h == g {
				continue
			}
			if n := r.Flows[h][g]; n > 0 {
				nr.Inbound = append(nr.Inbound, PeerCount{other, n})
			}
			if n := r.Flows[g][h]; n > 0 {
				nr.Outbound = append(nr.Outbound, PeerCount{other, n})
			}
		}
		for _, x := range r.External {
			for _, pc := range x.To {
				if pc.Peer == name {
					nr.ExternalIn = append(nr.ExternalIn, PeerCount{x.Name, pc.Count})
				}
			}
			for _, pc := range x.From {
				if pc.Peer == name {
					nr.ExternalOut = append(nr.ExternalOut, PeerCount{x.Name, pc.Count})
				}
			}
		}
		r.Namespaces = append(r.Namespaces, nr)
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// externalNodes groups the external atoms that take part in allowed flows
// by the classes they reach and are reached from, and by whether they are
// public.
func (a *analysis) externalNodes() []ExternalNode {
	w := graph.Words(a.nC)
	type group struct {
		in, out graph.Set // classes reaching the group; classes it reaches
		ranges  netipx.IPSetBuilder
		first   netip.Addr
		public  bool
	}
	index := map[string]*group{}
	var order []*group
	col := graph.NewSet(a.nU)
	for i, at := range a.atoms {
		u := a.nC + i
		a.cgColumn(u, col)
		out := a.cg.Row(u)
		if col.IsEmpty() && out.IsEmpty() {
			continue
		}
		_, public := publicPart(at.Range)
		k := wordsKey(col[:w]) + "|" + wordsKey(out[:w])
		if public {
			k += "|p"
		}
		g, ok := index[k]
		if !ok {
			g = &group{in: slices.Clone(col), out: slices.Clone(out), first: at.Range.From(), public: public}
			index[k] = g
			order = append(order, g)
		}
		g.ranges.AddRange(at.Range)
	}
	out := make([]ExternalNode, 0, len(order))
	for _, g := range order {
		set, _ := g.ranges.IPSet()
		var ranges []string
		for _, p := range set.Prefixes() {
			ranges = append(ranges, p.String())
		}
		name := ranges[0]
		if len(ranges) > 1 {
			name += " +" + strconv.Itoa(len(ranges)-1)
		}
		node := ExternalNode{Name: name, Ranges: ranges, Internet: g.public, From: a.perNamespace(g.in), To: a.perNamespace(g.out)}
		out = append(out, node)
	}
	slices.SortStableFunc(out, func(x, y ExternalNode) int {
		if x.Internet != y.Internet {
			if x.Internet {
				return -1
			}
			return 1
		}
		return cmp.Compare(x.Name, y.Name)
	})
	return out
}

// cgColumn fills dst with the classes that can reach universe entry u.
func (a *analysis) cgColumn(u int, dst graph.Set) {
	dst.Clear()
	for c := range a.nC {
		if a.cg.Has(c, u) {
			dst.Add(c)
		}
	}
}

func wordsKey(ws []uint64) string {
	b := make([]byte, 0, 8*len(ws))
	for _, x := range ws {
		for i := range 8 {
			b = append(b, byte(x>>(8*i)))
		}
	}
	return string(b)
}

// perNamespace counts the endpoints of a set of classes per namespace.
func (a *analysis) perNamespace(classes graph.Set) []PeerCount {
	counts := make([]int, len(a.namespaces))
	for c := range classes.All() {
		if c >= a.nC {
			break
		}
		counts[a.nsOfClass[c]] += len(a.members[c])
	}
	out := []PeerCount{}
	for g, n := range counts {
		if n > 0 {
			out = append(out, PeerCount{a.namespaces[g], n})
		}
	}
	return out
}
