package auditreport

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/netreach/netreach/reachability"
)

// maxWorkloadFlows is the most workload pairs the page embeds for its
// drill-down from a pair of namespaces to their workloads. A large open
// cluster has millions (1.1 million at 10,000 generated pods); the page
// keeps the namespace pairs that matter most (cross-tenant first, then by
// pod pairs) up to this budget and names the command that lists the rest.
const maxWorkloadFlows = 25000

// workloadFlows fills the workload drill-down of the page from the
// document's matrix, when it has one.
func workloadFlows(d *Document, b *pageBlob, nsIndex map[string]int) {
	if d.Matrix == nil {
		b.WLNote = "The workload drill-down needs the matrix, which this report was rendered without."
		return
	}
	v, err := d.Matrix.Group(reachability.GroupOptions{By: reachability.ByWorkload, NoExternal: true})
	if err != nil {
		b.WLNote = "The workload drill-down could not be computed: " + err.Error()
		return
	}
	type flow struct {
		src, dst int32
		pairs    int64
	}
	wlIndex := map[string]int32{}
	var wls []blobWorkload
	index := func(g reachability.GroupNode) (int32, bool) {
		if k, ok := wlIndex[g.Name]; ok {
			return k, true
		}
		ns, ok := nsIndex[g.Namespace]
		if !ok {
			return 0, false
		}
		k := int32(len(wls))
		wlIndex[g.Name] = k
		name := strings.TrimPrefix(g.Label(), g.Namespace+"/")
		wls = append(wls, blobWorkload{NS: ns, Name: name, Pods: g.Endpoints})
		return k, true
	}
	byPair := map[[2]int][]flow{}
	err = v.Walk(context.Background(), func(p *reachability.GroupPair) error {
		s, ok1 := index(p.Src)
		t, ok2 := index(p.Dst)
		if ok1 && ok2 && p.Pairs > 0 {
			key := [2]int{wls[s].NS, wls[t].NS}
			byPair[key] = append(byPair[key], flow{s, t, p.Pairs})
		}
		return nil
	})
	if err != nil {
		b.WLNote = "The workload drill-down could not be computed: " + err.Error()
		return
	}
	total := 0
	keys := make([][2]int, 0, len(byPair))
	for k, fs := range byPair {
		keys = append(keys, k)
		total += len(fs)
	}
	r := d.Report
	cross := func(k [2]int) bool { return relationOf(r, k[0], k[1]) == relTenant }
	slices.SortFunc(keys, func(a, c [2]int) int {
		if x, y := cross(a), cross(c); x != y {
			if x {
				return -1
			}
			return 1
		}
		if n := cmp.Compare(r.Flows[c[0]][c[1]], r.Flows[a[0]][a[1]]); n != 0 {
			return n
		}
		if n := cmp.Compare(a[0], c[0]); n != 0 {
			return n
		}
		return cmp.Compare(a[1], c[1])
	})
	b.WLComplete = total <= maxWorkloadFlows
	used := map[int32]int{} // workload index in wls → index in b.WL
	ref := func(k int32) int {
		if i, ok := used[k]; ok {
			return i
		}
		used[k] = len(b.WL)
		b.WL = append(b.WL, wls[k])
		return used[k]
	}
	n := 0
	for _, k := range keys {
		fs := byPair[k]
		if n+len(fs) > maxWorkloadFlows {
			continue
		}
		n += len(fs)
		if !b.WLComplete {
			b.WLPairs = append(b.WLPairs, k)
		}
		for _, f := range fs {
			b.WLFlows = append(b.WLFlows, [3]int{ref(f.src), ref(f.dst), int(f.pairs)})
		}
	}
	if !b.WLComplete {
		b.WLNote = "The page holds the workload flows of " + itoa(len(b.WLPairs)) + " of " + itoa(len(keys)) +
			" namespace pairs (" + itoa(n) + " of " + itoa(total) + " workload pairs: cross-tenant pairs first, then the largest)."
	}
	if b.WL == nil {
		b.WL = []blobWorkload{}
	}
	if b.WLFlows == nil {
		b.WLFlows = [][3]int{}
	}
}
