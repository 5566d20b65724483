package reachability

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/randcluster"
)

var groupClusters = flag.Int("group.clusters", 150, "random clusters per grouped-view test")

// TestGroupedViewMatchesNaive holds every grouped view to a naive
// aggregation of the matrix's cells (Matrix.At on every pair of entries
// and port atom) on random Kubernetes, cluster-wide and Calico clusters,
// with random groupings (workloads assigned at random), focuses,
// directions, connection filters, namespaces, and batches small enough to
// split the column differences: full and partial connections, counts of
// pairs, conditional verdicts, external ranges merged per pair.
func TestGroupedViewMatchesNaive(t *testing.T) {
	defer func(n, w int) { maxBatchEntries, windowPerWorker = n, w }(maxBatchEntries, windowPerWorker)
	for i := 0; i < *groupClusters; i++ {
		seed := uint64(i)
		r := rand.New(rand.NewPCG(seed, 0x6e0))
		cfg := randcluster.Config{Namespaces: 1 + r.IntN(4), Pods: 2 + r.IntN(24), Policies: r.IntN(8)}
		switch i % 3 {
		case 1:
			cfg.Admin = true
		case 2:
			cfg.Calico, cfg.Admin = true, r.IntN(2) == 0
		}
		m, data := randomMatrix(t, r, cfg)
		for trial := 0; trial < 4; trial++ {
			gopts := randomGroupOptions(r, m)
			maxBatchEntries = []int{1 << 23, 1, 7}[r.IntN(3)]
			windowPerWorker = []int{16, 1, 2}[r.IntN(3)]
			v, err := m.Group(gopts)
			if err != nil {
				t.Fatalf("seed %d: Group: %v", seed, err)
			}
			var got []string
			if err := v.Walk(context.Background(), func(p *GroupPair) error {
				got = append(got, pairText(p))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			want := naiveGroupPairs(m, gopts)

			if d := diffLines(want, got); d != "" {
				t.Fatalf("seed %d trial %d, %s: grouped view differs from the naive aggregation (-want +got):\n%s\n--- cluster ---\n%s",
					seed, trial, describeGroupOptions(gopts), d, data)
			}
			// MinLines is a lower bound of the lines and of their names.
			minLines, minBytes, err := v.MinLines(context.Background(), 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if l, b, exact, err := v.EstimateLines(context.Background(), 1<<20); err != nil || !exact || l != minLines || b != minBytes {
				t.Fatalf("EstimateLines over every group = %d, %d, exact %v, %v; MinLines = %d, %d", l, b, exact, err, minLines, minBytes)
			}
			var nameBytes int64
			for _, line := range got {
				src, rest, _ := strings.Cut(line, " => ")
				dst, _, _ := strings.Cut(rest, " (")
				nameBytes += int64(len(src) + len(dst) + len(" => ") + len(" : ") + len("TCP 1\n"))
			}
			if minLines > int64(len(got)) || minBytes > nameBytes {
				t.Fatalf("seed %d trial %d, %s: MinLines = %d lines, %d bytes; Walk reports %d lines, %d bytes", seed, trial, describeGroupOptions(gopts), minLines, minBytes, len(got), nameBytes)
			}
			if v.IsEmpty() != (naiveTotal(m, gopts) == 0) {
				t.Fatalf("seed %d trial %d: IsEmpty = %v, naive total %d", seed, trial, v.IsEmpty(), naiveTotal(m, gopts))
			}
		}
	}
}

// randomWorkloads puts the pods of each namespace into a few random
// workloads (or leaves them bare): the grouping reads only
// Endpoint.Workload, which the evaluation ignores.
func randomWorkloads(r *rand.Rand, s *policy.Snapshot) {
	for _, e := range s.Endpoints {
		switch r.IntN(4) {
		case 0:
			e.Workload = ""
		case 1:
			e.Workload = []string{"StatefulSet/db", "/owner", "Node/n1"}[r.IntN(3)]
		default:
			e.Workload = fmt.Sprintf("Deployment/w%d", r.IntN(2))
		}
	}
}

func randomGroupOptions(r *rand.Rand, m *Matrix) GroupOptions {
	o := GroupOptions{By: GroupBy(r.IntN(4)), NoExternal: r.IntN(5) == 0}
	if r.IntN(3) == 0 {
		o.TenantLabel = []string{"app", "tier", "team"}[r.IntN(3)]
	} else {
		o.TenantLabel = "team"
	}
	if r.IntN(5) == 0 {
		o.Namespaces = []string{fmt.Sprintf("ns%d", r.IntN(3))}
	}
	if r.IntN(2) == 0 {
		candidates := []string{"10.1.0.0/16", "10.1.1.1", "0.0.0.0/1", "10.0.0.0/8", "app=a", "tier!=b", "team in (a,c)", "ns0/*", "ns1/*", "w0", "ns2/db"}
		for i := 0; i < m.NumEndpoints(); i++ {
			candidates = append(candidates, m.Endpoint(i).ID())
		}
		for k := 0; k <= r.IntN(2); k++ {
			o.Focus = append(o.Focus, MustParseSelection(candidates[r.IntN(len(candidates))]))
		}
		o.Direction = FocusDirection(r.IntN(3))
	}
	if r.IntN(3) == 0 {
		texts := []string{"TCP 80", "TCP 80-81; UDP", "UDP 53; SCTP 1-100", "TCP 81,83", "All Connections"}
		if m.ConnectionScope() == ScopeAllProtocols {
			texts = append(texts, "ICMP", "TCP 80; other protocols")
		}
		c, err := ParseConnections(texts[r.IntN(len(texts))], m.ConnectionScope())
		if err != nil {
			panic(err)
		}
		o.Connections = &c
	}
	return o
}

func describeGroupOptions(o GroupOptions) string {
	var f []string
	for _, s := range o.Focus {
		f = append(f, s.String())
	}
	c := "all"
	if o.Connections != nil {
		c = o.Connections.String()
	}
	return fmt.Sprintf("by=%s tenantLabel=%s namespaces=%v noExternal=%v focus=%v direction=%s connections=%s batch=%d window=%d",
		o.By, o.TenantLabel, o.Namespaces, o.NoExternal, f, o.Direction, c, maxBatchEntries, windowPerWorker)
}

// naiveEntry is one member of the naive view: an endpoint, or a piece of
// an external atom.
type naiveEntry struct {
	entry int // matrix entry
	group string
	ext   bool
	rng   netipx.IPRange
	focus bool
}

// naiveGroupKey groups an endpoint the way the views are documented to.
func naiveGroupKey(m *Matrix, e *policy.Endpoint, o GroupOptions) string {
	known := map[string]bool{"Pod": true, "Deployment": true, "StatefulSet": true, "DaemonSet": true, "ReplicaSet": true, "ReplicationController": true, "Job": true, "CronJob": true}
	if !known[e.Kind] {
		return e.ID() + "[" + e.Kind + "]"
	}
	switch o.By {
	case ByWorkload:
		if e.Workload != "" && !strings.HasPrefix(e.Workload, "Node/") {
			kind, name, _ := strings.Cut(e.Workload, "/")
			if kind == "" {
				kind = "Workload"
			}
			return e.Namespace + "/" + name + "[" + kind + "]"
		}
		return e.ID() + "[" + e.Kind + "]"
	case ByNamespace:
		return e.Namespace
	case ByTenant:
		label := o.TenantLabel
		if label == "" {
			label = DefaultTenantLabel
		}
		if ns := m.Snapshot().Namespace(e.Namespace); ns != nil && ns.Labels[label] != "" {
			return label + "=" + ns.Labels[label]
		}
		return e.Namespace
	}
	return e.ID()
}

func naiveEntries(m *Matrix, o GroupOptions) []naiveEntry { return naiveEntriesCut(m, o, nil) }

// naiveEntriesCut is naiveEntries with external atoms also cut at the
// given addresses.
func naiveEntriesCut(m *Matrix, o GroupOptions, extra []netip.Addr) []naiveEntry {
	focused := func(match func(Selection) bool) bool {
		if len(o.Focus) == 0 {
			return true
		}
		for _, s := range o.Focus {
			if match(s) {
				return true
			}
		}
		return false
	}
	var out []naiveEntry
	for i := 0; i < m.NumEndpoints(); i++ {
		e := m.Endpoint(i)
		if len(o.Namespaces) > 0 && !slices.Contains(o.Namespaces, e.Namespace) {
			continue
		}
		out = append(out, naiveEntry{entry: i, group: naiveGroupKey(m, e, o), focus: focused(func(s Selection) bool { return s.MatchesEndpoint(e) })})
	}
	for i := m.NumEndpoints(); i < m.Len(); i++ {
		d, ok := m.Derived(i)
		if !ok || len(o.Namespaces) > 0 && d.Namespace != "" && !slices.Contains(o.Namespaces, d.Namespace) {
			continue
		}
		out = append(out, naiveEntry{entry: i, group: d.Name, focus: focused(func(s Selection) bool { return s.matchesDerived(d) })})
	}
	if o.NoExternal {
		return out
	}
	// Cut the atoms at the boundaries of the focused addresses.
	var sb netipx.IPSetBuilder
	for _, s := range o.Focus {
		if p, ok := s.Prefix(); ok {
			sb.AddPrefix(p)
		}
	}
	focusSet, _ := sb.IPSet()
	for k, a := range m.ExternalAtoms() {
		cuts := []netip.Addr{a.Range.From()}
		for _, c := range extra {
			if a.Range.Contains(c) {
				cuts = append(cuts, c)
			}
		}
		for _, r := range focusSet.Ranges() {
			for _, c := range []netip.Addr{r.From(), r.To().Next()} {
				if c.IsValid() && a.Range.Contains(c) {
					cuts = append(cuts, c)
				}
			}
		}
		slices.SortFunc(cuts, netip.Addr.Compare)
		cuts = slices.Compact(cuts)
		for x, c := range cuts {
			end := a.Range.To()
			if x+1 < len(cuts) {
				end = cuts[x+1].Prev()
			}
			piece := netipx.IPRangeFrom(c, end)
			out = append(out, naiveEntry{entry: m.NumEndpoints() + k, ext: true, rng: piece, group: ExternalAtom{Range: piece}.String(),
				focus: focused(func(s Selection) bool { p, ok := s.Prefix(); return ok && p.Contains(c) })})
		}
	}
	return out
}

// counted reports whether the naive view counts the pair.
func naiveCounted(m *Matrix, o GroupOptions, a, b naiveEntry) bool {
	if a.entry == b.entry || !m.IsPair(a.entry, b.entry) {
		return false
	}
	if len(o.Focus) == 0 {
		return true
	}
	switch o.Direction {
	case FocusEgress:
		return a.focus
	case FocusIngress:
		return b.focus
	}
	return a.focus || b.focus
}

func naiveTotal(m *Matrix, o GroupOptions) int {
	es := naiveEntries(m, o)
	n := 0
	for _, a := range es {
		for _, b := range es {
			if naiveCounted(m, o, a, b) {
				n++
			}
		}
	}
	return n
}

// naiveLine is the naive result of one group pair.
type naiveLine struct {
	text         string
	src, dst     string
	srcR, dstR   netipx.IPRange // external pieces
	srcExt, dExt bool
	total        int64
	allow, cond  []int64 // per port atom of the view
}

func naiveGroupPairs(m *Matrix, o GroupOptions) []string {
	raw := naiveRawResults(m, o, nil)
	// Merge external pieces per line: for each source, adjacent
	// destination pieces with the same result; for each destination,
	// adjacent source pieces with the same result.
	var out []string
	emit := func(src, dst, text string) { out = append(out, src+" => "+dst+" "+text) }
	bySrc := map[string][]naiveLine{}
	byDst := map[string][]naiveLine{}
	for _, l := range raw {
		switch {
		case l.srcExt:
			byDst[l.dst] = append(byDst[l.dst], l)
		case l.dExt:
			bySrc[l.src] = append(bySrc[l.src], l)
		default:
			emit(l.src, l.dst, l.text)
		}
	}
	mergeRuns := func(ls []naiveLine, rng func(naiveLine) netipx.IPRange, emitRun func(l naiveLine, r netipx.IPRange)) {
		sort.Slice(ls, func(i, j int) bool { return rangeOrder(rng(ls[i]), rng(ls[j])) < 0 })
		for i := 0; i < len(ls); {
			r := rng(ls[i])
			j := i + 1
			for ; j < len(ls) && ls[j].text == ls[i].text && adjacent(r, rng(ls[j])); j++ {
				r = netipx.IPRangeFrom(r.From(), rng(ls[j]).To())
			}
			emitRun(ls[i], r)
			i = j
		}
	}
	for _, ls := range bySrc {
		mergeRuns(ls, func(l naiveLine) netipx.IPRange { return l.dstR }, func(l naiveLine, r netipx.IPRange) {
			emit(l.src, ExternalAtom{Range: r}.String(), l.text)
		})
	}
	for _, ls := range byDst {
		mergeRuns(ls, func(l naiveLine) netipx.IPRange { return l.srcR }, func(l naiveLine, r netipx.IPRange) {
			emit(ExternalAtom{Range: r}.String(), l.dst, l.text)
		})
	}
	sort.Strings(out)
	return out
}

// pairText renders a pair the way naiveGroupPairs does.
func pairText(p *GroupPair) string {
	parts := []string{"full " + p.Full.String()}
	for _, x := range p.Partial {
		parts = append(parts, fmt.Sprintf("partial %d: %s", x.Pairs, x.Connections))
	}
	for _, x := range p.Conditional {
		parts = append(parts, fmt.Sprintf("conditional %d: %s", x.Pairs, x.Connections))
	}
	return fmt.Sprintf("%s => %s (%d pairs): %s", p.Src.Label(), p.Dst.Label(), p.Pairs, strings.Join(parts, " | "))
}

func diffLines(want, got []string) string {
	sort.Strings(got)
	var b strings.Builder
	w, g := map[string]bool{}, map[string]bool{}
	for _, x := range want {
		w[x] = true
	}
	for _, x := range got {
		g[x] = true
	}
	for _, x := range want {
		if !g[x] {
			b.WriteString("-" + x + "\n")
		}
	}
	for _, x := range got {
		if !w[x] {
			b.WriteString("+" + x + "\n")
		}
	}
	if len(want) != len(got) && b.Len() == 0 {
		fmt.Fprintf(&b, "%d lines, want %d (duplicates)\n", len(got), len(want))
	}
	return b.String()
}

// naiveRawResults returns, per "src => dst" key of the naive view (external
// pieces unmerged, cut at extra), the result text, the total, and the
// pieces' ranges.
func naiveRawResults(m *Matrix, o GroupOptions, extra []netip.Addr) map[string]naiveLine {
	scope := m.ConnectionScope()
	var atoms []int
	for p := range m.PortAtoms() {
		c := connectionsOf(m.ports, scope, func(q int) bool { return q == p })
		if o.Connections == nil || !c.Intersect(*o.Connections).IsEmpty() {
			atoms = append(atoms, p)
		}
	}
	es := naiveEntriesCut(m, o, extra)
	lines := map[string]*naiveLine{}
	for _, a := range es {
		for _, b := range es {
			if !naiveCounted(m, o, a, b) {
				continue
			}
			key := a.group + " => " + b.group
			l := lines[key]
			if l == nil {
				l = &naiveLine{src: a.group, dst: b.group, srcR: a.rng, dstR: b.rng, srcExt: a.ext, dExt: b.ext,
					allow: make([]int64, len(atoms)), cond: make([]int64, len(atoms))}
				lines[key] = l
			}
			l.total++
			for k, p := range atoms {
				switch m.At(a.entry, b.entry, p) {
				case Allow:
					l.allow[k]++
				case Conditional:
					l.cond[k]++
				}
			}
		}
	}
	out := map[string]naiveLine{}
	for k, l := range lines {
		x := *l
		x.text = naiveText(m, o, atoms, l)
		if !strings.HasSuffix(x.text, "): full No Connections") {
			out[k] = x
		}
	}
	return out
}

func naiveText(m *Matrix, o GroupOptions, atoms []int, l *naiveLine) string {
	scope := m.ConnectionScope()
	conns := func(in func(k int) bool) string {
		set := map[int]bool{}
		for k, p := range atoms {
			if in(k) {
				set[p] = true
			}
		}
		c := connectionsOf(m.ports, scope, func(p int) bool { return set[p] })
		if o.Connections != nil {
			c = c.Intersect(*o.Connections)
		}
		return c.String()
	}
	parts := []string{"full " + conns(func(k int) bool { return l.allow[k] == l.total })}
	for _, kind := range []string{"partial", "conditional"} {
		var counts []int64
		seen := map[int64]bool{}
		for k := range atoms {
			n := l.allow[k]
			if kind == "conditional" {
				n = l.cond[k]
			} else if n == l.total {
				continue
			}
			if n > 0 && !seen[n] {
				seen[n] = true
				counts = append(counts, n)
			}
		}
		for _, n := range counts {
			parts = append(parts, fmt.Sprintf("%s %d: %s", kind, n, conns(func(k int) bool {
				if kind == "conditional" {
					return l.cond[k] == n
				}
				return l.allow[k] == n
			})))
		}
	}
	return fmt.Sprintf("(%d pairs): %s", l.total, strings.Join(parts, " | "))
}

// TestGroupDiffMatchesNaive holds the grouped diff to a naive comparison
// of two naive aggregations, on pairs of random clusters that share their
// pods (different policies) or differ by pods added and removed.
func TestGroupDiffMatchesNaive(t *testing.T) {
	for i := 0; i < *groupClusters/2; i++ {
		seed := uint64(i)
		r := rand.New(rand.NewPCG(seed, 0xd1ff))
		cfg := randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(12), Policies: r.IntN(6), Admin: i%2 == 1, Calico: i%3 == 2}
		cfgB := cfg
		cfgB.Policies = r.IntN(6)
		if i%4 == 3 {
			cfgB.Pods += 1 + r.IntN(2)
		}
		opts := Options{}
		if cfg.Calico {
			opts.Mode = policy.ModeCalico
		}
		load := func(c randcluster.Config) (*Matrix, []byte) {
			data := randcluster.Generate(rand.New(rand.NewPCG(seed, 0xd1ff)), c)
			l := policy.NewLoader(policy.LoadOptions{})
			l.AddBytes("c.yaml", data)
			snap, err := l.Snapshot()
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			wr := rand.New(rand.NewPCG(seed, 7))
			randomWorkloads(wr, snap)
			var layer DerivedLayer
			if seed%3 == 0 {
				layer = fakeLayer{}
			}
			m, err := ComputeWith(context.Background(), snap, opts, layer)
			if err != nil {
				t.Fatal(err)
			}
			return m, data
		}
		a, dataA := load(cfg)
		b, dataB := load(cfgB)
		gopts := randomGroupOptions(r, a)
		d, err := NewGroupDiff(a, b, gopts)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		if err := d.Walk(context.Background(), func(c *GroupChange) error {
			got = append(got, changeText(c))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		want := naiveDiff(a, b, gopts)
		if dl := diffLines(want, got); dl != "" {
			t.Fatalf("seed %d, %s: grouped diff differs from the naive one (-want +got):\n%s\n--- before ---\n%s\n--- after ---\n%s", seed, describeGroupOptions(gopts), dl, dataA, dataB)
		}
	}
}

func changeText(c *GroupChange) string {
	side := func(p *GroupPair) string {
		if p == nil {
			return "none"
		}
		t := pairText(p)
		_, rest, _ := strings.Cut(t, " (")
		return "(" + rest
	}
	return fmt.Sprintf("%s => %s: %s -> %s", c.Src.Label(), c.Dst.Label(), side(c.Before), side(c.After))
}

func naiveDiff(a, b *Matrix, o GroupOptions) []string {
	starts := func(m *Matrix) []netip.Addr {
		var out []netip.Addr
		for _, at := range m.ExternalAtoms() {
			out = append(out, at.Range.From())
		}
		return out
	}
	ra, rb := naiveRawResults(a, o, starts(b)), naiveRawResults(b, o, starts(a))
	type change struct {
		l             naiveLine
		before, after string
	}
	var cs []change
	keys := map[string]bool{}
	for k := range ra {
		keys[k] = true
	}
	for k := range rb {
		keys[k] = true
	}
	for k := range keys {
		x, okA := ra[k]
		y, okB := rb[k]
		before, after := "none", "none"
		l := y
		if okA {
			before, l = x.text, x
		}
		if okB {
			after, l = y.text, y
		}
		if before != after {
			cs = append(cs, change{l, before, after})
		}
	}
	// Merge adjacent external pieces with the same change, per line.
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i].l, cs[j].l
		ka, kb := a.src, b.src
		if a.srcExt {
			ka = "~" + a.dst
		}
		if b.srcExt {
			kb = "~" + b.dst
		}
		if ka != kb {
			return ka < kb
		}
		if a.dExt != b.dExt {
			return !a.dExt
		}
		if !a.dExt && !a.srcExt {
			return a.dst < b.dst
		}
		if a.srcExt {
			return rangeOrder(a.srcR, b.srcR) < 0
		}
		return rangeOrder(a.dstR, b.dstR) < 0
	})
	var out []string
	for i := 0; i < len(cs); {
		c := cs[i]
		src, dst := c.l.src, c.l.dst
		j := i + 1
		if c.l.srcExt || c.l.dExt {
			r := c.l.dstR
			if c.l.srcExt {
				r = c.l.srcR
			}
			for j < len(cs) {
				n := cs[j]
				same := n.before == c.before && n.after == c.after && n.l.srcExt == c.l.srcExt && n.l.dExt == c.l.dExt
				if c.l.srcExt {
					same = same && n.l.dst == c.l.dst && adjacent(r, n.l.srcR)
				} else {
					same = same && n.l.src == c.l.src && adjacent(r, n.l.dstR)
				}
				if !same {
					break
				}
				if c.l.srcExt {
					r = netipx.IPRangeFrom(r.From(), n.l.srcR.To())
				} else {
					r = netipx.IPRangeFrom(r.From(), n.l.dstR.To())
				}
				j++
			}
			if c.l.srcExt {
				src = ExternalAtom{Range: r}.String()
			} else {
				dst = ExternalAtom{Range: r}.String()
			}
		}
		out = append(out, fmt.Sprintf("%s => %s: %s -> %s", src, dst, c.before, c.after))
		i = j
	}
	sort.Strings(out)
	return out
}

// TestGroupGraphMatchesNaive holds GroupedView.Graph to the naive
// aggregation: every naive pair of groups (external ranges as pieces) is
// an edge of the graph between the nodes that hold its pieces, with the
// same result; the graph has no other edge; and two adjacent external
// nodes never have the same results with every other node (ranges are
// merged as far as they can be).
func TestGroupGraphMatchesNaive(t *testing.T) {
	for i := 0; i < *groupClusters/2; i++ {
		seed := uint64(i)
		r := rand.New(rand.NewPCG(seed, 0x9a9))
		cfg := randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(14), Policies: r.IntN(7), Admin: i%2 == 1, Calico: i%3 == 2}
		m, data := randomMatrix(t, r, cfg)
		gopts := randomGroupOptions(r, m)
		v, err := m.Group(gopts)
		if err != nil {
			t.Fatal(err)
		}
		g, err := v.Graph(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("seed %d, %s: %s\n--- cluster ---\n%s", seed, describeGroupOptions(gopts), fmt.Sprintf(format, args...), data)
		}
		nodeOf := func(label string, ext bool, rng netipx.IPRange) int {
			for k, n := range g.Nodes {
				if ext && n.IsExternal() && n.Range.From().Compare(rng.From()) <= 0 && rng.To().Compare(n.Range.To()) <= 0 {
					return k
				}
				if !ext && !n.IsExternal() && n.Label() == label {
					return k
				}
			}
			return -1
		}
		edges := map[[2]int]string{}
		for _, e := range g.Edges {
			p := e.Pair
			_, rest, _ := strings.Cut(pairText(&p), " (")
			edges[[2]int{e.Src, e.Dst}] = "(" + rest
		}
		want := map[[2]int]bool{}
		raw := naiveRawResults(m, gopts, nil)
		for _, l := range raw {
			s, d := nodeOf(l.src, l.srcExt, l.srcR), nodeOf(l.dst, l.dExt, l.dstR)
			if s < 0 || d < 0 {
				fail("no node holds %s => %s", l.src, l.dst)
			}
			if got := edges[[2]int{s, d}]; got != l.text {
				fail("edge %s => %s is %q, the naive pair %s => %s is %q", g.Nodes[s].Label(), g.Nodes[d].Label(), got, l.src, l.dst, l.text)
			}
			want[[2]int{s, d}] = true
		}
		if len(want) != len(edges) {
			fail("%d edges, want %d", len(edges), len(want))
		}
		// Maximal merging: adjacent external nodes differ somewhere.
		sig := func(k int) string {
			var parts []string
			for e, text := range edges {
				if e[0] == k {
					parts = append(parts, fmt.Sprintf("out %d %s", e[1], text))
				}
				if e[1] == k {
					parts = append(parts, fmt.Sprintf("in %d %s", e[0], text))
				}
			}
			sort.Strings(parts)
			return strings.Join(parts, "\n")
		}
		for k := 1; k < len(g.Nodes); k++ {
			a, b := g.Nodes[k-1], g.Nodes[k]
			if a.IsExternal() && b.IsExternal() && adjacent(a.Range, b.Range) && a.focused == b.focused && sig(k-1) == sig(k) {
				fail("external nodes %s and %s could be one", a.Label(), b.Label())
			}
		}
	}
}

// TestGroupExplainAgreesWithView holds GroupedView.Explain to the naive
// aggregation: for every pair of groups and every port atom, the member
// pairs its allowed (and conditional) outcomes cover are the pairs the
// matrix allows (conditionally), and every pair of groups that counts a
// pair is explained.
func TestGroupExplainAgreesWithView(t *testing.T) {
	for i := 0; i < *groupClusters/5; i++ {
		seed := uint64(i)
		r := rand.New(rand.NewPCG(seed, 0xe1))
		cfg := randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(8), Policies: r.IntN(6), Admin: i%2 == 1, Calico: i%3 == 2}
		m, data := randomMatrix(t, r, cfg)
		snap, opts := m.Snapshot(), m.Options()
		gopts := randomGroupOptions(r, m)
		v, err := m.Group(gopts)
		if err != nil {
			t.Fatal(err)
		}
		raw := naiveRawResults(m, gopts, nil)
		explained := 0
		err = v.Explain(context.Background(), NewEvaluator(snap, opts), func(ex *GroupExplanation) error {
			explained++
			key := ex.Src.Label() + " => " + ex.Dst.Label()
			nl, ok := raw[key]
			var sum int64
			for _, o := range ex.Outcomes {
				sum += o.Pairs
			}
			for k, p := range v.atoms {
				at := m.ports[p]
				atomConns := connectionsOf(m.ports, m.ConnectionScope(), func(q int) bool { return q == p })
				var allow, cond int64
				for _, o := range ex.Outcomes {
					if !o.Connections.Intersect(atomConns).IsEmpty() {
						switch o.Verdict {
						case Allow:
							allow += o.Pairs
						case Conditional:
							cond += o.Pairs
						}
					}
				}
				var wantA, wantC int64
				if ok {
					wantA, wantC = nl.allow[k], nl.cond[k]
				}
				if allow != wantA || cond != wantC {
					t.Fatalf("seed %d, %s: %s on %s: explained %d allowed and %d conditional pairs, the matrix %d and %d\n%s",
						seed, describeGroupOptions(gopts), key, at, allow, cond, wantA, wantC, data)
				}
			}
			if ex.Pairs <= 0 {
				t.Fatalf("seed %d: %s explained with %d pairs", seed, key, ex.Pairs)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		withDerived := 0
		for _, l := range raw {
			for _, side := range []string{l.src, l.dst} {
				if strings.HasPrefix(side, "{") || strings.HasSuffix(side, "[Service]") {
					withDerived++
					break
				}
			}
		}
		if explained < len(raw)-withDerived {
			t.Fatalf("seed %d: %d pairs of groups explained, %d have connections", seed, explained, len(raw))
		}
	}
}

// randomMatrix generates a random cluster (in calico mode when it has
// Calico objects), puts its pods in random workloads, and computes its
// matrix.
func randomMatrix(t *testing.T, r *rand.Rand, cfg randcluster.Config) (*Matrix, []byte) {
	t.Helper()
	opts := Options{}
	if cfg.Calico {
		opts.Mode = policy.ModeCalico
	}
	data := randcluster.Generate(r, cfg)
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes("c.yaml", data)
	snap, err := l.Snapshot()
	if err != nil {
		t.Fatalf("load: %v\n%s", err, data)
	}
	randomWorkloads(r, snap)
	var layer DerivedLayer
	if r.IntN(3) == 0 {
		layer = fakeLayer{}
	}
	m, err := ComputeWith(context.Background(), snap, opts, layer)
	if err != nil {
		t.Fatal(err)
	}
	return m, data
}

// fakeLayer derives three entries from the matrix, for the grouped views'
// tests: "{internet}" (a source: what the first external atom can open),
// a Service in ns0 (a destination: what can reach the first endpoint, and
// from the internet every connection), and "{both}" (either side:
// conditional on TCP, with every endpoint).
type fakeLayer struct{}

func (fakeLayer) PortCuts(*policy.Snapshot) []PortRange {
	return []PortRange{{Protocol: policy.TCP, Lo: 81, Hi: 81}}
}

func (fakeLayer) Derive(_ context.Context, m *Matrix) (Derived, error) {
	base := m.numBase()
	internet, svc, both := base, base+1, base+2
	return Derived{
		Entries: []DerivedEntry{
			{Name: "{internet}", Kind: "Internet", Source: true},
			{Name: "ns0/svc[Service]", Kind: "Service", Namespace: "ns0", Destination: true},
			{Name: "{both}", Kind: "Both", Source: true, Destination: true},
		},
		At: func(src, dst, p int) Verdict {
			switch {
			case src == both || dst == both:
				if m.ports[p].Protocol == policy.TCP {
					return Conditional
				}
				return Deny
			case src == internet && dst == svc:
				return Allow
			case src == internet:
				return m.At(m.NumEndpoints(), dst, p)
			case dst == svc && m.NumEndpoints() > 0:
				return m.At(src, 0, p)
			}
			return Deny
		},
	}, nil
}
