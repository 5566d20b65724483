package reachability_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/randcluster"
	"github.com/netreach/netreach/internal/reachability"
)

// TestWriteJSONStreamsTheDocument holds the streaming JSON writer to the
// document Matrix.JSON builds in memory, byte for byte, on random
// Kubernetes, cluster-wide and Calico clusters (conditional verdicts
// included), with and without a focus and a port.
func TestWriteJSONStreamsTheDocument(t *testing.T) {
	for i := 0; i < 60; i++ {
		r := rand.New(rand.NewPCG(uint64(i), 0x15011))
		cfg := randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: r.IntN(9), Policies: r.IntN(6), Admin: i%2 == 1, Calico: i%3 == 2}
		data := randcluster.Generate(r, cfg)
		l := policy.NewLoader(policy.LoadOptions{})
		l.AddBytes(fmt.Sprintf("seed-%d.yaml", i), data)
		snap, err := l.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
		if err != nil {
			t.Fatal(err)
		}
		v := m.NewView(nil, i%4 != 0)
		if i%3 == 1 {
			v, _ = m.WithFocus(v, []reachability.Selection{reachability.MustParseSelection("app=a"), reachability.MustParseSelection("10.1.0.0/16")}, reachability.FocusDirection(i%3))
		}
		if i%5 == 0 {
			if v2, err := m.WithPort(v, reachability.Port{Protocol: policy.TCP, Number: 80}); err == nil {
				v = v2
			}
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(m.JSON(v)); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := m.WriteJSON(&got, v); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Fatalf("seed %d: WriteJSON differs from the encoded document:\n--- got ---\n%s\n--- want ---\n%s", i, got.String(), want.String())
		}
	}
}

// TestParseExternalAtom reads back what ExternalAtom.String writes, and
// refuses what is not a range.
func TestParseExternalAtom(t *testing.T) {
	for _, s := range []string{"10.0.0.0/8", "0.0.0.0-9.255.255.255", "10.1.0.11/32", "fd00::/8", "::-fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"} {
		a, err := reachability.ParseExternalAtom(s)
		if err != nil {
			t.Fatalf("ParseExternalAtom(%q): %v", s, err)
		}
		if got := a.String(); got != s {
			t.Errorf("ParseExternalAtom(%q).String() = %q", s, got)
		}
	}
	for _, s := range []string{"", "10.0.0.1/8", "10.0.0.9-10.0.0.1", "x-y", "10.0.0.0"} {
		if _, err := reachability.ParseExternalAtom(s); err == nil {
			t.Errorf("ParseExternalAtom(%q): no error", s)
		}
	}
}
