package access_test

import (
	"context"
	"strings"
	"testing"

	"github.com/netreach/netreach/internal/access"
	"github.com/netreach/netreach/internal/fixture"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// TestFixtures checks the hand-derived tables of testdata/access against
// the Layer's matrix and, independently, the reference evaluator.
func TestFixtures(t *testing.T) {
	dirs, err := fixture.Discover("../../testdata/access")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no fixtures in testdata/access")
	}
	for _, dir := range dirs {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			fx, err := fixture.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			opts := access.Options{}
			for k, v := range fx.Options {
				switch k {
				case "serviceSNAT":
					if opts.SNAT, err = access.ParseSNAT(v); err != nil {
						t.Fatal(err)
					}
				case "ingressController":
					for _, s := range strings.Split(v, ";") {
						c, err := access.ParseController(s)
						if err != nil {
							t.Fatal(err)
						}
						opts.Controllers = append(opts.Controllers, c)
					}
				default:
					t.Fatalf("unknown option %q", k)
				}
			}
			snap, err := policy.Load(policy.LoadOptions{}, dir)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			m, err := access.Compute(context.Background(), snap, reachability.Options{}, opts)
			if err != nil {
				t.Fatal(err)
			}
			ev := access.NewEvaluator(snap, reachability.Options{}, opts, m.ExternalAtoms())
			for _, tab := range fx.Tables {
				for _, port := range tab.Ports {
					proto, _ := policy.ParseKubeProtocol(port.Protocol)
					p := m.PortAtomIndex(proto, uint16(port.Number))
					for a, src := range tab.Sources {
						for b, dst := range tab.Dests {
							want := tab.Cells[a][b]
							i, ok1 := m.Lookup(src)
							j, ok2 := m.Lookup(dst)
							if !ok1 || !ok2 {
								t.Fatalf("line %d: no entry %q or %q", tab.Line, src, dst)
							}
							if got := cell(m.At(i, j, p)); got != want {
								t.Errorf("line %d: layer %s -> %s on %s = %s, want %s", tab.Line, src, dst, port, got, want)
							}
							if got := cell(reference(ev, m, i, j, proto, uint16(port.Number))); got != want {
								t.Errorf("line %d: reference %s -> %s on %s = %s, want %s", tab.Line, src, dst, port, got, want)
							}
						}
					}
				}
			}
		})
	}
}

func cell(v reachability.Verdict) fixture.Cell {
	switch v {
	case reachability.Allow:
		return fixture.Allowed
	case reachability.Conditional:
		return fixture.Conditional
	}
	return fixture.Denied
}

// reference decides entry i -> entry j with the reference evaluators.
func reference(ev *access.Evaluator, m *reachability.Matrix, i, j int, proto policy.Protocol, port uint16) reachability.Verdict {
	snap := m.Snapshot()
	var to access.Target
	if e := m.Endpoint(j); e != nil {
		to.Endpoint = e
	} else {
		for _, s := range snap.Services {
			if access.ServiceEntry(s.Namespace, s.Name) == m.Name(j) {
				to.Service = s
			}
		}
	}
	switch m.Name(i) {
	case access.Internet:
		v, _ := ev.FromInternet(to, proto, port, false)
		return v
	case access.IngressController:
		v, _ := ev.FromController(to, proto, port, false)
		return v
	}
	if to.Service != nil {
		v, _ := ev.FromEndpoint(m.Endpoint(i), to.Service, proto, port, false)
		return v
	}
	v, _ := reachability.Evaluate(snap, reachability.Flow{Src: reachability.EndpointEntity(m.Endpoint(i)), Dst: reachability.EndpointEntity(to.Endpoint), Protocol: proto, Port: port}, reachability.Options{})
	return v
}

// TestNotProxied checks that headless and ExternalName Services get no
// entry (kube-proxy does not forward them) and that the ExternalName one
// is reported, not dropped silently [docs/exposure-outside.md §1.3].
func TestNotProxied(t *testing.T) {
	dir := "../../testdata/access/endpoint-slices-and-local"
	snap, err := policy.Load(policy.LoadOptions{}, dir)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	m, err := access.Compute(context.Background(), snap, reachability.Options{}, access.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"data/db-headless[Service]", "data/warehouse[Service]"} {
		if _, ok := m.Lookup(name); ok {
			t.Errorf("%s has an entry; want none (not proxied)", name)
		}
	}
	if _, ok := m.Lookup("data/db[Service]"); !ok {
		t.Fatal("data/db[Service] has no entry")
	}
	warned := false
	for _, d := range snap.Diagnostics {
		if d.Name == "warehouse" && d.Severity == policy.Warning && strings.Contains(d.Msg, "ExternalName") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning about the ExternalName Service warehouse; diagnostics:\n%v", snap.Diagnostics)
	}
}
