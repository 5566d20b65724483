package expect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"go4.org/netipx"

	"github.com/netreach/netreach/internal/access"
	"github.com/netreach/netreach/internal/fieldpath"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// Level says how endpoints of a golden matrix are matched with those of the
// current one.
type Level uint8

// Levels.
const (
	// LevelAuto compares at workload level when the golden's entries carry
	// a workload (what `netreach matrix -o json` writes for pods that a
	// workload owns), at endpoint level otherwise.
	LevelAuto Level = iota
	// LevelEndpoint matches endpoints by namespace/name.
	LevelEndpoint
	// LevelWorkload matches endpoints by namespace and owning workload
	// ("shop/Deployment/web"), so that pods renamed by a new pod-template
	// hash still match; endpoints without a workload (bare pods) keep
	// their own name. A workload reaches another when at least one of its
	// endpoints reaches one of the other's (the most open verdict wins).
	LevelWorkload
)

// String returns "auto", "endpoint" or "workload".
func (l Level) String() string {
	switch l {
	case LevelEndpoint:
		return "endpoint"
	case LevelWorkload:
		return "workload"
	}
	return "auto"
}

// MarshalText returns the level as String does.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// ParseLevel parses "auto", "endpoint" (or "pod") and "workload".
func ParseLevel(s string) (Level, error) {
	switch s {
	case "auto", "":
		return LevelAuto, nil
	case "endpoint", "pod":
		return LevelEndpoint, nil
	case "workload":
		return LevelWorkload, nil
	}
	return 0, fmt.Errorf("invalid level %q: expected auto, endpoint or workload", s)
}

// Golden is a reachability matrix recorded earlier with `netreach matrix -o
// json` (apiVersion netreach.io/v1alpha1, kind ReachabilityMatrix). It is
// immutable and safe for concurrent use.
type Golden struct {
	// File is the name the golden was read under.
	File string
	// Mode and Options are what the golden was computed with.
	Mode, Options string

	entries []reachability.EntryJSON
	ranges  []netipx.IPRange // per entry; zero for endpoints
	ports   []reachability.PortAtom
	// verdicts[p][i] lists the destinations of source i on port p that
	// are allowed or conditional.
	verdicts []map[int]map[int]reachability.Verdict
}

// LoadGolden reads a golden matrix file; see [ParseGolden].
func LoadGolden(path string) (*Golden, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, policy.Diagnostics{{Severity: policy.Error, Location: policy.Location{File: path},
			Code: policy.CodeRead, Msg: "cannot read golden matrix: " + unwrapPathError(err).Error()}}
	}
	return ParseGolden(path, data)
}

// ParseGolden reads a matrix in the JSON form of `netreach matrix -o json`.
// Fields it does not know are ignored (the format grows compatibly within
// v1alpha1); a wrong apiVersion or kind, a malformed port or address, or a
// name that is not an entry is an error ([policy.Diagnostics]).
func ParseGolden(name string, data []byte) (*Golden, error) {
	var diags policy.Diagnostics
	fail := func(field, format string, args ...any) {
		diags = append(diags, policy.Diagnostic{Severity: policy.Error, Location: policy.Location{File: name},
			Kind: "golden matrix", Field: field, Msg: fmt.Sprintf(format, args...), Code: policy.CodeInvalid})
	}
	var mj reachability.MatrixJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&mj); err != nil {
		fail("", "invalid JSON: %v; expected the output of netreach matrix -o json", err)
		diags[0].Code = policy.CodeSyntax
		return nil, diags
	}
	if mj.APIVersion != reachability.JSONAPIVersion || mj.Kind != reachability.JSONKind {
		fail("", "expected apiVersion %s and kind %s, got %q and %q", reachability.JSONAPIVersion, reachability.JSONKind, mj.APIVersion, mj.Kind)
		return nil, diags
	}
	g := &Golden{File: name, Mode: mj.Mode, Options: mj.Options, entries: mj.Entries}
	index := map[string]int{}
	g.ranges = make([]netipx.IPRange, len(mj.Entries))
	for i, e := range mj.Entries {
		field := fmt.Sprintf("entries[%d]", i)
		if _, dup := index[e.Name]; dup {
			fail(field+".name", "duplicate entry %q", e.Name)
		}
		index[e.Name] = i
		if isDerivedKind(e.Kind) {
			continue // compared by name
		}
		if e.Kind == "External" {
			r, err := parseRange(e.Name)
			if err != nil {
				fail(field+".name", "%v", err)
			}
			g.ranges[i] = r
		} else if e.Namespace == "" || !strings.HasPrefix(e.Name, e.Namespace+"/") {
			fail(field, "endpoint %q needs a namespace and a name namespace/name", e.Name)
		}
	}
	for k, pv := range mj.Ports {
		field := fmt.Sprintf("ports[%d]", k)
		a, err := parsePortAtom(pv.Protocol, pv.Port)
		if err != nil {
			fail(field, "%v", err)
			continue
		}
		g.ports = append(g.ports, a)
		vs := map[int]map[int]reachability.Verdict{}
		for _, part := range []struct {
			name string
			m    map[string][]string
			v    reachability.Verdict
		}{{"allowed", pv.Allowed, reachability.Allow}, {"conditional", pv.Conditional, reachability.Conditional}} {
			for _, src := range sortedKeys(part.m) {
				i, ok := index[src]
				if !ok {
					fail(field+"."+part.name, "source %q is not an entry", src)
					continue
				}
				for _, dst := range part.m[src] {
					j, ok := index[dst]
					if !ok {
						fail(field+"."+part.name, "destination %q of %q is not an entry", dst, src)
						continue
					}
					if vs[i] == nil {
						vs[i] = map[int]reachability.Verdict{}
					}
					vs[i][j] = part.v
				}
			}
		}
		g.verdicts = append(g.verdicts, vs)
	}
	diags = append(diags, checkGoldenPorts(name, mj.Ports)...)
	if len(diags) > 0 {
		locateGolden(data, diags)
		return nil, diags
	}
	return g, nil
}

// isDerivedKind reports whether an entry of the JSON form is an entry of
// the access model ({internet}, {ingress-controller}, a Service), which
// golden comparisons match by name.
func isDerivedKind(kind string) bool {
	switch kind {
	case access.KindInternet, access.KindIngressController, access.KindService:
		return true
	}
	return false
}

// checkGoldenPorts rejects a golden that compares nothing (no port atoms)
// and port atoms that overlap: the matrix cuts each protocol's ports into
// disjoint atoms, so two entries for one port contradict each other or
// repeat, and either way one of them would be ignored.
func checkGoldenPorts(name string, ports []reachability.PortVerdicts) policy.Diagnostics {
	var diags policy.Diagnostics
	fail := func(field, format string, args ...any) {
		diags = append(diags, policy.Diagnostic{Severity: policy.Error, Location: policy.Location{File: name},
			Kind: "golden matrix", Field: field, Msg: fmt.Sprintf(format, args...), Code: policy.CodeInvalid})
	}
	if len(ports) == 0 {
		fail("ports", "no port atoms: this golden would compare nothing and pass whatever the policies say; write it with netreach matrix -o json")
		return diags
	}
	type seen struct {
		k    int
		atom reachability.PortAtom
	}
	byProto := map[policy.Protocol][]seen{}
	for k, pv := range ports {
		a, err := parsePortAtom(pv.Protocol, pv.Port)
		if err != nil {
			continue // reported already
		}
		for _, o := range byProto[a.Protocol] {
			if a.Lo <= o.atom.Hi && o.atom.Lo <= a.Hi {
				fail(fmt.Sprintf("ports[%d]", k), "%s overlaps ports[%d] (%s): each port must be listed once, as netreach matrix -o json writes it", a, o.k, o.atom)
				break
			}
		}
		byProto[a.Protocol] = append(byProto[a.Protocol], seen{k, a})
		for src, dsts := range pv.Conditional {
			allowed := map[string]bool{}
			for _, d := range pv.Allowed[src] {
				allowed[d] = true
			}
			for _, d := range dsts {
				if allowed[d] {
					fail(fmt.Sprintf("ports[%d].conditional", k), "%s -> %s is both allowed and conditional on %s", src, d, a)
				}
			}
		}
	}
	return diags
}

// locateGolden adds line and column to diagnostics that name a field,
// reading the golden's JSON as YAML for positions. It runs only when there
// are errors, so a large valid golden is not parsed twice.
func locateGolden(data []byte, diags policy.Diagnostics) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil || len(root.Content) == 0 {
		return
	}
	for i := range diags {
		if diags[i].Field == "" {
			continue
		}
		n := fieldpath.Walk(root.Content[0], diags[i].Field, true)
		diags[i].Line, diags[i].Col = n.Line, n.Column
	}
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// parseRange reads an external atom's name: a CIDR or "first-last".
func parseRange(s string) (netipx.IPRange, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return netipx.RangeOfPrefix(p.Masked()), nil
	}
	r, err := netipx.ParseIPRange(s)
	if err != nil {
		return netipx.IPRange{}, fmt.Errorf("external entry %q: expected a CIDR or first-last", s)
	}
	return r, nil
}

// parsePortAtom reads a port atom's protocol and port ("80", "1-79", "").
func parsePortAtom(proto, port string) (reachability.PortAtom, error) {
	p, err := policy.ParseProtocol(proto)
	if err != nil || p == policy.AnyProtocol {
		return reachability.PortAtom{}, fmt.Errorf("unknown protocol %q", proto)
	}
	if !p.HasPorts() {
		if port != "" {
			return reachability.PortAtom{}, fmt.Errorf("%s has no ports, got port %q", p, port)
		}
		return reachability.PortAtom{Protocol: p}, nil
	}
	if port == "" {
		return reachability.PortAtom{Protocol: p, Lo: 1, Hi: 65535}, nil
	}
	pt, err := ParsePort(port + "/" + p.String())
	if err != nil || pt.Name != "" {
		return reachability.PortAtom{}, fmt.Errorf("invalid port %q: expected N or N-M", port)
	}
	return reachability.PortAtom{Protocol: p, Lo: pt.Lo, Hi: pt.Hi}, nil
}

// verdict returns the golden verdict of entry i to entry j on port atom p
// (-1: a protocol no atom holds, always allowed).
func (g *Golden) verdict(i, j, p int) reachability.Verdict {
	if p < 0 || i == j && g.ranges[i] == (netipx.IPRange{}) {
		return reachability.Allow
	}
	return g.verdicts[p][i][j] // Deny when absent
}

// hasWorkloads reports whether any endpoint entry names its workload.
func (g *Golden) hasWorkloads() bool {
	for _, e := range g.entries {
		if e.Kind != "External" && e.Workload != "" {
			return true
		}
	}
	return false
}

// Drift is the difference between a golden matrix and the current one.
type Drift struct {
	// Golden is the golden matrix's file.
	Golden string
	// Level is the level the comparison used.
	Level Level
	// Added and Removed are the endpoints (or workloads) present only in
	// the current matrix, or only in the golden one. Their flows count as
	// denied on the side that lacks them, as in `netreach diff`.
	Added, Removed []string
	// Gained flows are more open now than in the golden (Deny → Allow,
	// Deny → Conditional, Conditional → Allow); Lost flows less open.
	// Adjacent ports with the same change are merged; changes are sorted
	// by source, destination, protocol and port.
	Gained, Lost []reachability.Change
	// Notes tell what may explain a drift, such as different options.
	Notes []string
	// Trace explains the first gained flow (else the first lost one) in
	// the current matrix, and Cause is what decided it.
	Trace *reachability.Trace
	Cause *Cause
	// Path explains that flow instead of Trace when it involves an entry
	// of the access model: the hops of its path in the current matrix.
	Path []string
}

// IsEmpty reports whether the current matrix matches the golden.
func (d *Drift) IsEmpty() bool {
	return len(d.Gained) == 0 && len(d.Lost) == 0 && len(d.Added) == 0 && len(d.Removed) == 0
}

// group is one endpoint key (or external range) and its entries on both
// sides.
type group struct {
	key, ns string
	old     []int // golden entries
	cur     []int // current entries
	ext     bool
	addr    netip.Addr // for external ranges: an address inside
	// derived is true for an entry of the access model.
	derived bool
}

// derivedGroups returns one group per entry of the access model in
// either matrix, matched by name, in name order.
func (g *Golden) derivedGroups(m *reachability.Matrix) []*group {
	byKey := map[string]*group{}
	var out []*group
	get := func(key, ns string) *group {
		if gr, ok := byKey[key]; ok {
			return gr
		}
		gr := &group{key: key, ns: ns, derived: true}
		byKey[key] = gr
		out = append(out, gr)
		return gr
	}
	for i, e := range g.entries {
		if isDerivedKind(e.Kind) {
			gr := get(e.Name, e.Namespace)
			gr.old = append(gr.old, i)
		}
	}
	for i := m.Len() - m.NumDerived(); i < m.Len(); i++ {
		if e, ok := m.Derived(i); ok && isDerivedKind(e.Kind) {
			gr := get(e.Name, e.Namespace)
			gr.cur = append(gr.cur, i)
		}
	}
	slices.SortStableFunc(out, func(a, b *group) int { return strings.Compare(a.key, b.key) })
	return out
}

// Compare compares the current matrix with the golden one at the given
// level, flow by flow, on the common refinement of both matrices' port
// atoms and external address atoms. Every change is kept. Ports of a
// protocol the golden holds only in part (a golden written with --port) and
// addresses of a family only one side has are not compared; Notes say so.
// It costs O(entries² × refined port atoms), times the product of the
// workloads' sizes at workload level.
func (g *Golden) Compare(m *reachability.Matrix, level Level) *Drift {
	d, _ := g.CompareContext(context.Background(), m, level)
	return d
}

// CompareContext is [Golden.Compare] with a context: when ctx is
// cancelled it stops within a row of groups and returns ctx's error.
func (g *Golden) CompareContext(ctx context.Context, m *reachability.Matrix, level Level) (*Drift, error) {
	if level == LevelAuto {
		level = LevelEndpoint
		if g.hasWorkloads() {
			level = LevelWorkload
		}
	}
	d := &Drift{Golden: g.File, Level: level}
	if g.Options != "" && g.Options != m.Describe() {
		d.Notes = append(d.Notes, fmt.Sprintf("the golden matrix was computed with %q, the current one with %q", g.Options, m.Describe()))
	}
	keyOf := func(ns, name, workload string) string {
		if level == LevelWorkload && workload != "" {
			return ns + "/" + workload
		}
		return name
	}
	var groups []*group
	byKey := map[string]*group{}
	get := func(key, ns string) *group {
		if gr, ok := byKey[key]; ok {
			return gr
		}
		gr := &group{key: key, ns: ns}
		byKey[key] = gr
		groups = append(groups, gr)
		return gr
	}
	for i, e := range g.entries {
		if e.Kind != "External" && !isDerivedKind(e.Kind) {
			gr := get(keyOf(e.Namespace, e.Name, e.Workload), e.Namespace)
			gr.old = append(gr.old, i)
		}
	}
	for i := 0; i < m.NumEndpoints(); i++ {
		e := m.Endpoint(i)
		gr := get(keyOf(e.Namespace, e.ID(), e.Workload), e.Namespace)
		gr.cur = append(gr.cur, i)
	}
	slices.SortStableFunc(groups, func(a, b *group) int { return strings.Compare(a.key, b.key) })
	nEndpointGroups := len(groups)
	// Entries of the access model follow, matched by name.
	derived := g.derivedGroups(m)
	groups = append(groups, derived...)
	for _, gr := range groups {
		switch {
		case len(gr.old) == 0:
			d.Added = append(d.Added, gr.key)
		case len(gr.cur) == 0:
			d.Removed = append(d.Removed, gr.key)
		}
	}
	nPairedGroups := len(groups)
	w := newWorld(m)
	ext, notes := g.externalGroups(m, w)
	groups = append(groups, ext...)
	d.Notes = append(d.Notes, notes...)

	ports := reachability.RefinePorts(g.ports, m.PortAtoms())
	pOld := make([]int, len(ports))
	pCur := make([]int, len(ports))
	var skipped []string
	for k, p := range ports {
		pOld[k], pCur[k] = -1, m.PortAtomIndex(p.Protocol, p.Lo)
		for x, a := range g.ports {
			if a.Contains(p.Protocol, p.Lo) {
				pOld[k] = x
				break
			}
		}
		if pOld[k] < 0 && p.Protocol.HasPorts() {
			pOld[k] = -2 // not in the golden: not compared
			skipped = appendPortRange(skipped, p)
		}
	}
	if len(skipped) > 0 {
		d.Notes = append(d.Notes, "the golden matrix does not hold "+strings.Join(skipped, ", ")+": not compared")
	}
	var delta reachability.Delta
	for x, a := range groups {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		for y, b := range groups {
			// Two addresses, or an address and a derived entry, are
			// not a pair; two derived entries can be ({internet} to a
			// Service).
			if x >= nEndpointGroups && y >= nEndpointGroups && (x >= nPairedGroups || y >= nPairedGroups) {
				continue
			}
			for k, p := range ports {
				if pOld[k] == -2 {
					continue
				}
				before, okB := aggregate(a.old, b.old, func(i, j int) reachability.Verdict { return g.verdict(i, j, pOld[k]) })
				after, okA := aggregate(a.cur, b.cur, func(i, j int) reachability.Verdict {
					if pCur[k] < 0 {
						return reachability.Allow
					}
					return m.At(i, j, pCur[k])
				})
				if !okB || !okA {
					continue // a workload and itself with one endpoint on a side: nothing to compare
				}
				if before == after {
					continue
				}
				delta.Record(reachability.Change{Src: a.key, Dst: b.key, SrcNamespace: a.ns, DstNamespace: b.ns,
					Protocol: p.Protocol, Lo: p.Lo, Hi: p.Hi, Before: before, After: after})
			}
		}
	}
	delta.Sort()
	d.Gained, d.Lost = delta.Gained, delta.Lost
	// Explain the first change listed with a pair of the current matrix
	// that has the new verdict.
	byName := map[string]*group{}
	for _, gr := range groups {
		byName[gr.key] = gr
	}
	for _, f := range []struct {
		cs      []reachability.Change
		allowed bool
	}{{d.Gained, true}, {d.Lost, false}} {
		if len(f.cs) == 0 || d.Trace != nil || d.Path != nil {
			continue
		}
		c := f.cs[0]
		k := slices.IndexFunc(ports, func(p reachability.PortAtom) bool { return p.Protocol == c.Protocol && p.Lo == c.Lo })
		if a, b := byName[c.Src], byName[c.Dst]; a.derived || b.derived {
			// The access model decides it: its path explains it.
			if len(a.cur) > 0 && len(b.cur) > 0 && pCur[k] >= 0 {
				d.Path = m.ExplainDerived(a.cur[0], b.cur[0], pCur[k])
			}
			continue
		}
		src, dst, ok := g.witness(m, byName[c.Src], byName[c.Dst], pCur[k], f.allowed)
		if !ok {
			continue
		}
		ev := reachability.NewEvaluator(m.Snapshot(), m.Options())
		_, d.Trace = ev.Evaluate(reachability.Flow{Src: src, Dst: dst, Protocol: c.Protocol, Port: c.Lo})
		d.Cause = causeOf(d.Trace, f.allowed)
	}
	return d, nil
}

// witness finds a current pair of groups a and b whose verdict on port
// atom p is open (allowed) or closed (!allowed), to explain a change.
func (g *Golden) witness(m *reachability.Matrix, a, b *group, p int, allowed bool) (src, dst reachability.Entity, ok bool) {
	entity := func(gr *group, i int) reachability.Entity {
		if gr.ext {
			return reachability.IPEntity(gr.addr)
		}
		return reachability.EndpointEntity(m.Endpoint(i))
	}
	for _, i := range a.cur {
		for _, j := range b.cur {
			if i == j && !a.ext {
				continue
			}
			v := reachability.Allow
			if p >= 0 {
				v = m.At(i, j, p)
			}
			if (v != reachability.Deny) == allowed {
				return entity(a, i), entity(b, j), true
			}
		}
	}
	return src, dst, false
}

// externalGroups cuts the address space at the atoms of both matrices and
// returns one group per piece, with the atom holding it on each side. An
// address family that only one side has is left out, with a note.
func (g *Golden) externalGroups(m *reachability.Matrix, w *world) ([]*group, []string) {
	var cuts []netip.Addr
	var oldRanges []netipx.IPRange
	var oldIdx []int
	var hasOld, hasCur [2]bool // IPv4, IPv6
	fam := func(a netip.Addr) int {
		if a.Is4() {
			return 0
		}
		return 1
	}
	for i, r := range g.ranges {
		if r.IsValid() {
			cuts = append(cuts, r.From())
			oldRanges = append(oldRanges, r)
			oldIdx = append(oldIdx, i)
			hasOld[fam(r.From())] = true
		}
	}
	atoms := m.ExternalAtoms()
	for _, a := range atoms {
		cuts = append(cuts, a.Range.From())
		hasCur[fam(a.Range.From())] = true
	}
	var notes []string
	for f, name := range []string{"IPv4", "IPv6"} {
		switch {
		case hasOld[f] && !hasCur[f]:
			notes = append(notes, "the golden matrix has "+name+" external addresses and the current one none: not compared")
		case !hasOld[f] && hasCur[f]:
			notes = append(notes, "the current matrix has "+name+" external addresses and the golden one none: not compared")
		}
	}
	slices.SortFunc(cuts, netip.Addr.Compare)
	cuts = slices.Compact(cuts)
	var out []*group
	for i, c := range cuts {
		if !hasOld[fam(c)] || !hasCur[fam(c)] {
			continue
		}
		end := netip.MustParseAddr("255.255.255.255")
		if c.Is6() {
			end = netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
		}
		if i+1 < len(cuts) && cuts[i+1].Is4() == c.Is4() {
			end = cuts[i+1].Prev()
		}
		r := netipx.IPRangeFrom(c, end)
		addr, _ := w.freeAddr(r)
		gr := &group{key: reachability.ExternalAtom{Range: r}.String(), ext: true, addr: addr}
		for k, or := range oldRanges {
			if or.Contains(c) {
				gr.old = []int{oldIdx[k]}
				break
			}
		}
		for k, a := range atoms {
			if a.Range.Contains(c) {
				gr.cur = []int{m.NumEndpoints() + k}
				break
			}
		}
		out = append(out, gr)
	}
	return out, notes
}

// appendPortRange appends a port piece to a list of "1-79/TCP" strings,
// extending the last one when the piece continues it.
func appendPortRange(list []string, p reachability.PortAtom) []string {
	if n := len(list); n > 0 {
		if last, err := ParsePort(list[n-1]); err == nil && last.Protocol == p.Protocol && uint32(last.Hi)+1 == uint32(p.Lo) {
			list[n-1] = reachability.PortAtom{Protocol: p.Protocol, Lo: last.Lo, Hi: p.Hi}.String()
			return list
		}
	}
	return append(list, p.String())
}

// aggregate is the most open verdict over the pairs of from × to (a pod
// and itself excluded); ok is false when there is no such pair. An empty
// side (a group absent from this matrix) is Deny.
func aggregate(from, to []int, at func(i, j int) reachability.Verdict) (v reachability.Verdict, ok bool) {
	if len(from) == 0 || len(to) == 0 {
		return reachability.Deny, true
	}
	best := reachability.Deny
	for _, i := range from {
		for _, j := range to {
			if i == j {
				continue
			}
			ok = true
			if x := at(i, j); x.Openness() > best.Openness() {
				best = x
				if best == reachability.Allow {
					return best, true
				}
			}
		}
	}
	return best, ok
}
