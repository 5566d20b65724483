package egress

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go4.org/netipx"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/randcluster"
	"github.com/netreach/netreach/internal/reachability"
)

// analyzeSlow is Analyze as it was before ExternalReach: one
// Matrix.Connections query per class and atom, every row in memory. It is
// the oracle of TestAnalyzeMatchesSlow.
//
// It computes, for every pod on the pod network and every external
// destination it may reach (per the matrix), how the traffic leaves the
// cluster and with which source addresses; rows of the same workload with
// the same connections and identity are merged. It costs O(pods × external
// atoms × port atoms).
func analyzeSlow(m *reachability.Matrix, opts Options) *Report {
	snap := m.Snapshot()
	an := &analyzer{snap: snap, opts: opts, gateways: map[string]identity{}}
	pieces := an.destinationPieces(m.ExternalAtoms())
	nE := m.NumEndpoints()
	type key struct{ workload, allowed, cond, via, sources string }
	rows := map[key]*slowRow{}
	var order []key
	// Verdicts depend on the class only: query each class and atom once.
	type conns struct{ allowed, cond reachability.Connections }
	cache := map[[2]int]conns{}
	for i := 0; i < nE; i++ {
		e := m.Endpoint(i)
		if e.HostNetwork {
			continue
		}
		w := workloadName(e)
		ids := map[idKey][]identity{}
		for k2, pc := range pieces {
			ck := [2]int{m.ClassOf(i), pc.atom}
			c, ok := cache[ck]
			if !ok {
				c.allowed, c.cond = m.Connections(i, nE+pc.atom)
				cache[ck] = c
			}
			allowed, cond := c.allowed, c.cond
			if allowed.IsEmpty() && cond.IsEmpty() {
				continue
			}
			ik := an.identityKey(e, pc.r)
			idl, ok := ids[ik]
			if !ok {
				idl = an.identities(e, pc.r)
				ids[ik] = idl
			}
			for _, id := range idl {
				k := key{w, allowed.String(), cond.String(), string(id.via), prefixesString(id.sources)}
				acc := rows[k]
				if acc == nil {
					acc = &slowRow{flow: Flow{Workload: w, Namespace: e.Namespace, Allowed: allowed, Conditional: cond,
						Via: id.via, Sources: id.sources}, lastEndpoint: -1, endpoints: map[int]bool{}, pieces: map[int]bool{}}
					rows[k] = acc
					order = append(order, k)
				}
				if acc.lastEndpoint != i {
					acc.lastEndpoint = i
					if !acc.endpoints[i] {
						acc.endpoints[i] = true
						acc.flow.Endpoints = append(acc.flow.Endpoints, e.ID())
					}
				}
				for _, n := range id.notes {
					if !slices.Contains(acc.flow.Notes, n) {
						acc.flow.Notes = append(acc.flow.Notes, n)
					}
				}
				if !acc.pieces[k2] {
					acc.pieces[k2] = true
					acc.dst.AddRange(pc.r)
				}
			}
		}
	}
	r := &Report{Describe: m.Describe()}
	for _, k := range order {
		acc := rows[k]
		set, _ := acc.dst.IPSet()
		acc.flow.Destinations = set.Prefixes()
		r.Flows = append(r.Flows, acc.flow)
	}
	sort.SliceStable(r.Flows, func(i, j int) bool {
		a, b := &r.Flows[i], &r.Flows[j]
		if a.Workload != b.Workload {
			return a.Workload < b.Workload
		}
		return a.Destinations[0].Addr().Less(b.Destinations[0].Addr())
	})
	slowMarkShared(r.Flows)
	return r
}

type slowRow struct {
	flow         Flow
	dst          netipx.IPSetBuilder
	pieces       map[int]bool // destination pieces added to dst
	endpoints    map[int]bool // entries listed in flow.Endpoints
	lastEndpoint int
}

// slowMarkShared fills SharedWith and SharedCount from the users of each
// node address, found on the flows themselves.
func slowMarkShared(flows []Flow) {
	users := map[netip.Prefix]map[string]bool{} // source → "ns\x00workload"
	for _, f := range flows {
		if f.Via != ViaNode {
			continue
		}
		for _, s := range f.Sources {
			if users[s] == nil {
				users[s] = map[string]bool{}
			}
			users[s][f.Namespace+"\x00"+f.Workload] = true
		}
	}
	sets := map[string]*shareSet{}
	for i := range flows {
		markShared(&flows[i], users, sets)
	}
}

// TestAnalyzeMatchesSlow holds the analysis on the classes' external rows
// (ExternalReach) to analyzeSlow, its per-pair version, on random clusters
// with IP pools, nodes and Calico policies: the same flows (with their
// shared namespaces) and byte-identical outputs, whether written from the
// report or streamed; and the line counts Size promises.
func TestAnalyzeMatchesSlow(t *testing.T) {
	t.Parallel()
	tos := [][]netip.Prefix{nil, {netip.MustParsePrefix("10.0.0.0/8")}, {netip.MustParsePrefix("0.0.0.0/1"), netip.MustParsePrefix("192.168.0.0/16")}}
	vias := map[Via]int{}
	shared := 0
	for seed := range uint64(80) {
		r := rand.New(rand.NewPCG(seed, 0xe6e))
		cfg := randcluster.Config{Namespaces: 2 + r.IntN(3), Pods: 4 + r.IntN(14), Policies: r.IntN(6),
			Calico: seed%2 == 1, Pools: seed%4 != 3, Admin: seed%3 != 2}
		data := randcluster.Generate(r, cfg)
		if !cfg.Admin {
			// The pools' Nodes have no address: give them one, so that
			// node addresses are shared.
			for i, z := range []string{"a", "b"} {
				data = bytes.Replace(data, fmt.Appendf(nil, "    zone: %s\n  name: n%d\n", z, i+1),
					fmt.Appendf(nil, "    zone: %s\n  name: n%d\nstatus:\n  addresses:\n  - {type: InternalIP, address: 192.168.9.%d}\n", z, i+1, i+1), 1)
			}
		}
		l := policy.NewLoader(policy.LoadOptions{})
		l.AddBytes(fmt.Sprintf("seed-%d.yaml", seed), data)
		snap, err := l.Snapshot()
		if err != nil {
			t.Fatalf("seed %d: load: %v", seed, err)
		}
		m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
		if err != nil {
			t.Fatalf("seed %d: compute: %v", seed, err)
		}
		opts := Options{To: tos[seed%3]}
		want, got := analyzeSlow(m, opts), Analyze(m, opts)
		if d := cmp.Diff(want.Flows, got.Flows, cmpopts.IgnoreUnexported(Flow{}),
			cmp.Comparer(reachability.Connections.Equal), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
			t.Fatalf("seed %d: Analyze (-slow +fast):\n%s\n%s", seed, d, data)
		}
		for i := range want.Flows {
			vias[want.Flows[i].Via]++
			shared += want.Flows[i].SharedCount
			if d := cmp.Diff(want.Flows[i].SharedNamespaces(), got.Flows[i].SharedNamespaces()); d != "" {
				t.Errorf("seed %d: flow %d: SharedNamespaces (-slow +fast):\n%s", seed, i, d)
			}
		}
		a := New(m, opts)
		for _, f := range []struct {
			format Format
			write  func(*Report, io.Writer) error
		}{{FormatTable, (*Report).WriteTable}, {FormatCSV, (*Report).WriteCSV}, {FormatJSON, (*Report).WriteJSON}, {FormatFirewall, (*Report).WriteFirewall}} {
			var wb, sb bytes.Buffer
			if err := f.write(want, &wb); err != nil {
				t.Fatal(err)
			}
			if err := a.Write(&sb, f.format); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(wb.String(), sb.String()); d != "" {
				t.Errorf("seed %d: format %d (-slow report +streamed):\n%s", seed, f.format, d)
			}
			rows, _ := a.Size(f.format)
			if lines := int64(strings.Count(sb.String(), "\n")); f.format != FormatJSON && rows != lines {
				t.Errorf("seed %d: Size(format %d) = %d rows, the output has %d lines", seed, f.format, rows, lines)
			}
		}
	}
	// The clusters must exercise every way out and shared node addresses.
	if vias[ViaPod] == 0 || vias[ViaNode] == 0 || vias[ViaUnknown] == 0 || shared == 0 {
		t.Errorf("flows by via %v, %d shared: the random clusters miss a case", vias, shared)
	}
	t.Logf("flows by via %v, %d shared", vias, shared)
}
