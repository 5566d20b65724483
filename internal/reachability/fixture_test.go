package reachability_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/netreach/netreach/internal/fixture"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// fixtureRoots are the directories whose fixtures both implementations
// must reproduce.
var fixtureRoots = []string{"../../testdata/e2e", "../../testdata/scenarios", "../../testdata/calico", "../../testdata/anp", "../../testdata/mesh", "../../testdata/kyverno", "../../testdata/pools"}

// TestFixtures checks every fixture's expected truth tables against the
// bitset engine and, independently, against the reference evaluator.
func TestFixtures(t *testing.T) {
	for _, root := range fixtureRoots {
		if _, err := os.Stat(root); os.IsNotExist(err) {
			continue
		}
		dirs, err := fixture.Discover(root)
		if err != nil {
			t.Fatal(err)
		}
		for _, dir := range dirs {
			t.Run(filepath.Base(root)+"/"+filepath.Base(dir), func(t *testing.T) {
				t.Parallel()
				checkFixture(t, dir)
			})
		}
	}
}

func checkFixture(t *testing.T, dir string) {
	t.Helper()
	fx, err := fixture.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := fixtureOptions(fx.Options)
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	snap, err := policy.Load(policy.LoadOptions{}, dir)
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	m, err := reachability.Compute(context.Background(), snap, opts)
	if err != nil {
		t.Fatal(err)
	}
	ev := reachability.NewEvaluator(snap, opts)
	for _, want := range fx.Tables {
		for _, port := range want.Ports {
			proto, err := policy.ParseProtocol(port.Protocol)
			if err != nil {
				t.Fatal(err)
			}
			engine := tableFrom(t, want, m, func(i, j int, src, dst reachability.Entity) reachability.Verdict {
				v, err := m.Verdict(reachability.Flow{Src: src, Dst: dst, Protocol: proto, Port: uint16(port.Number)})
				if err != nil {
					t.Fatalf("%s: Verdict: %v", dir, err)
				}
				return v
			})
			if !engine.Equal(want) {
				t.Errorf("%s, engine, port %s (-want +got):\n%s", dir, port, fixture.FormatDiff(want, engine))
			}
			ref := tableFrom(t, want, m, func(i, j int, src, dst reachability.Entity) reachability.Verdict {
				v, _ := ev.Evaluate(reachability.Flow{Src: src, Dst: dst, Protocol: proto, Port: uint16(port.Number)})
				return v
			})
			if !ref.Equal(want) {
				t.Errorf("%s, reference, port %s (-want +got):\n%s", dir, port, fixture.FormatDiff(want, ref))
			}
		}
	}
}

// tableFrom fills a table shaped like want with the verdicts of fn.
func tableFrom(t *testing.T, want fixture.Table, m *reachability.Matrix, fn func(i, j int, src, dst reachability.Entity) reachability.Verdict) fixture.Table {
	t.Helper()
	got := fixture.Table{Ports: want.Ports, Sources: want.Sources, Dests: want.Dests}
	entity := func(name string) (int, reachability.Entity) {
		i, ok := m.Lookup(name)
		if !ok {
			t.Fatalf("table names %q, which is neither an endpoint nor an address", name)
		}
		if e := m.Endpoint(i); e != nil {
			return i, reachability.EndpointEntity(e)
		}
		ip, _ := parseAddr(name)
		return i, reachability.IPEntity(ip)
	}
	for _, s := range want.Sources {
		i, src := entity(s)
		row := make([]fixture.Cell, 0, len(want.Dests))
		for _, d := range want.Dests {
			j, dst := entity(d)
			switch fn(i, j, src, dst) {
			case reachability.Allow:
				row = append(row, fixture.Allowed)
			case reachability.Deny:
				row = append(row, fixture.Denied)
			default:
				row = append(row, fixture.Conditional)
			}
		}
		got.Cells = append(got.Cells, row)
	}
	return got
}

// fixtureOptions reads the "options:" line of an expect.txt.
func fixtureOptions(kv map[string]string) (reachability.Options, error) {
	var o reachability.Options
	for k, v := range kv {
		switch k {
		case "mode":
			m, err := policy.ParseMode(v)
			if err != nil {
				return o, err
			}
			o.Mode = m
		case "ipBlockMatchesPodIPs":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return o, err
			}
			o.IPBlockIgnoresPodIPs = !b
		case "calicoVersion":
			v, err := policy.ParseCalicoVersion(v)
			if err != nil {
				return o, err
			}
			o.CalicoVersion = v
		case "staged":
			v, err := policy.ParseStagedView(v)
			if err != nil {
				return o, err
			}
			o.Staged = v
		case "ownNodeEgressPoliced":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return o, err
			}
			o.OwnNodeEgressUnpoliced = !b
		case "mesh":
			v, err := reachability.ParseMeshMode(v)
			if err != nil {
				return o, err
			}
			o.Mesh = v
		case "meshRootNamespace":
			o.MeshOptions.RootNamespace = v
		case "meshTrustDomain":
			o.MeshOptions.TrustDomain = v
		default:
			return o, fmt.Errorf("unknown option %q", k)
		}
	}
	return o, nil
}
