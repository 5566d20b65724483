package auditreport

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/netreach/netreach/internal/reachability"
)

// maxWorkloadFlows is the most workload pairs the page embeds for its
// drill-down from a pair of namespaces to their workloads. A large open
// cluster has millions (1.1 million at 10,000 generated pods); the page
// keeps the namespace pairs that matter most (cross-tenant first, then by
// pod pairs) up to this budget and names the command that lists the rest.
const maxWorkloadFlows = 25000

// workloadFlows fills the workload drill-down of the page from the
// document's matrix, when it has one. The namespace pairs are chosen
// first, from the report's namespace flows and an upper bound of their
// workload pairs (workloads × workloads), so that only the chosen
// namespaces are grouped and at most maxWorkloadFlows pairs are kept,
// whatever the cluster's size.
func workloadFlows(d *Document, b *pageBlob, nsIndex map[string]int) {
	b.WL, b.WLFlows = []blobWorkload{}, [][3]int{}
	if d.Matrix == nil {
		b.WLNote = "The workload drill-down needs the matrix, which this report was rendered without."
		return
	}
	r := d.Report
	workloads := make([]int, len(r.Namespaces))
	for i, ns := range r.Namespaces {
		seen := map[string]bool{}
		for _, p := range ns.Pods {
			if p.Workload == "" || !seen[p.Workload] {
				workloads[i]++
				seen[p.Workload] = true
			}
		}
	}
	var keys [][2]int
	for i, row := range r.Flows {
		for j, c := range row {
			if c > 0 {
				keys = append(keys, [2]int{i, j})
			}
		}
	}
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
	// Candidates: pairs whose upper bounds add up to ten times the
	// budget (the bound is loose: a pair has far fewer workload pairs
	// with flows than workloads × workloads); the walk counts their
	// workload pairs exactly, and whole pairs are then kept in order
	// while they fit the budget.
	chosen := map[[2]int]bool{}
	var names []string
	inNames := map[int]bool{}
	bound := 0
	for _, k := range keys {
		n := workloads[k[0]] * workloads[k[1]]
		if bound+n > 10*maxWorkloadFlows {
			continue
		}
		bound += n
		chosen[k] = true
		for _, i := range k {
			if !inNames[i] {
				inNames[i] = true
				names = append(names, r.Namespaces[i].Name)
			}
		}
	}
	if len(chosen) == 0 {
		if len(keys) > 0 {
			b.WLNote = "The page holds no workload flows: every namespace pair has too many workload pairs."
		}
		return
	}
	slices.Sort(names)
	v, err := d.Matrix.Group(reachability.GroupOptions{By: reachability.ByWorkload, NoExternal: true, Namespaces: names})
	if err != nil {
		b.WLNote = "The workload drill-down could not be computed: " + err.Error()
		return
	}
	wlIndex := map[string]int{}
	index := func(g reachability.GroupNode) (int, bool) {
		if k, ok := wlIndex[g.Name]; ok {
			return k, true
		}
		ns, ok := nsIndex[g.Namespace]
		if !ok {
			return 0, false
		}
		k := len(b.WL)
		wlIndex[g.Name] = k
		b.WL = append(b.WL, blobWorkload{NS: ns, Name: strings.TrimPrefix(g.Label(), g.Namespace+"/"), Pods: g.Endpoints})
		return k, true
	}
	type flow struct {
		src, dst reachability.GroupNode
		pairs    int
	}
	byPair := map[[2]int][]flow{}
	err = v.Walk(context.Background(), func(p *reachability.GroupPair) error {
		src, ok1 := nsIndex[p.Src.Namespace]
		dst, ok2 := nsIndex[p.Dst.Namespace]
		if k := [2]int{src, dst}; ok1 && ok2 && p.Pairs > 0 && chosen[k] {
			byPair[k] = append(byPair[k], flow{p.Src, p.Dst, int(p.Pairs)})
		}
		return nil
	})
	if err != nil {
		b.WLNote = "The workload drill-down could not be computed: " + err.Error()
		return
	}
	held := 0
	for _, k := range keys {
		fs := byPair[k]
		if !chosen[k] || held+len(fs) > maxWorkloadFlows {
			continue
		}
		held += len(fs)
		b.WLPairs = append(b.WLPairs, k)
		for _, f := range fs {
			s, _ := index(f.src)
			t, _ := index(f.dst)
			b.WLFlows = append(b.WLFlows, [3]int{s, t, f.pairs})
		}
	}
	b.WLComplete = len(b.WLPairs) == len(keys)
	if b.WLComplete {
		b.WLPairs = nil
	} else {
		b.WLNote = "The page holds the workload flows of " + itoa(len(b.WLPairs)) + " of " + itoa(len(keys)) +
			" namespace pairs (" + itoa(len(b.WLFlows)) + " workload pairs: cross-tenant pairs first, then the largest)."
	}
}
