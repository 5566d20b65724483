package expect_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/expect"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

const shopGolden = "../../testdata/check/shop.golden.json"

func changes(cs []reachability.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Src+" -> "+c.Dst+" "+reachability.PortAtom{Protocol: c.Protocol, Lo: c.Lo, Hi: c.Hi}.String()+": "+c.Before.String()+" -> "+c.After.String())
	}
	return out
}

// TestGoldenUnchanged compares the shop with its own golden matrix.
func TestGoldenUnchanged(t *testing.T) {
	t.Parallel()
	g, err := expect.LoadGolden(shopGolden)
	require.NoError(t, err)
	for _, level := range []expect.Level{expect.LevelAuto, expect.LevelEndpoint, expect.LevelWorkload} {
		d := g.Compare(matrixOf(t, shopDir), level)
		require.True(t, d.IsEmpty(), "level %s: %+v", level, d)
		require.Empty(t, d.Notes)
		require.Nil(t, d.Trace)
	}
	require.Equal(t, expect.LevelWorkload, g.Compare(matrixOf(t, shopDir), expect.LevelAuto).Level)
}

// TestGoldenRenamedPods: a rollout renames every pod (new pod-template
// hash) and adds a replica. At workload level the golden still matches; at
// endpoint level every pod is added or removed.
func TestGoldenRenamedPods(t *testing.T) {
	t.Parallel()
	g, err := expect.LoadGolden(shopGolden)
	require.NoError(t, err)
	m := matrixOf(t, "../../testdata/check/shop-renamed", shopDir+"/policy.yaml")
	d := g.Compare(m, expect.LevelAuto)
	require.Equal(t, expect.LevelWorkload, d.Level)
	require.True(t, d.IsEmpty(), "%+v", d)

	d = g.Compare(m, expect.LevelEndpoint)
	require.False(t, d.IsEmpty())
	require.Equal(t, []string{"shop/db-8d7c6b5a4-pqrst", "shop/web-6f9d8b7c5-qrstu", "shop/web-6f9d8b7c5-vwxyz", "shop/web-6f9d8b7c5-zz9zz"}, d.Added)
	require.Equal(t, []string{"shop/db-7c6b5a498-klmno", "shop/web-5d8f7c9b4-abcde", "shop/web-5d8f7c9b4-fghij"}, d.Removed)
	require.NotEmpty(t, d.Gained)
	require.NotEmpty(t, d.Lost)
}

// TestGoldenDrift changes two policies: db also takes 5432 from ops
// (gained), web loses its internet egress (lost). The new policies also cut
// the address space and the ports differently from the golden (no more
// ipBlock, no more 443 atom), which the comparison refines.
func TestGoldenDrift(t *testing.T) {
	t.Parallel()
	g, err := expect.LoadGolden(shopGolden)
	require.NoError(t, err)
	m := matrixOf(t, shopDir+"/cluster.yaml", "../../testdata/check/shop-drift")
	require.Len(t, m.ExternalAtoms(), 1)
	d := g.Compare(m, expect.LevelAuto)
	if diff := cmp.Diff([]string{"ops/debug -> shop/Deployment/db 5432/TCP: deny -> allow"}, changes(d.Gained)); diff != "" {
		t.Errorf("gained (-want +got):\n%s", diff)
	}
	wantLost := []string{
		"shop/Deployment/web -> 0.0.0.0-9.255.255.255 443/TCP: allow -> deny",
		"shop/Deployment/web -> 11.0.0.0-255.255.255.255 443/TCP: allow -> deny",
	}
	if diff := cmp.Diff(wantLost, changes(d.Lost)); diff != "" {
		t.Errorf("lost (-want +got):\n%s", diff)
	}
	require.Empty(t, d.Added)
	require.Empty(t, d.Removed)
	require.NotNil(t, d.Trace)
	require.Equal(t, "ops/debug -> shop/db-7c6b5a498-klmno 5432/TCP", d.Trace.Flow.String())
	require.Equal(t, "../../testdata/check/shop-drift/policy.yaml:25:5", d.Cause.Location.String())
	require.Equal(t, "ingress rule 0 (Allow) of NetworkPolicy shop/db-from-web allows it", d.Cause.Text)

	// The other way round: the trace explains the first gained flow.
	d = goldenOf(t, m, nil).Compare(matrixOf(t, shopDir), expect.LevelAuto)
	require.Equal(t, []string{"ops/debug -> shop/Deployment/db 5432/TCP: allow -> deny"}, changes(d.Lost))
	require.Len(t, d.Gained, 2)
	require.Equal(t, "../../testdata/check/shop/policy.yaml:59:5", d.Cause.Location.String())
}

// TestGoldenLostOnly: with only lost flows, the trace explains the first
// one and blames the policy that denies it.
func TestGoldenLostOnly(t *testing.T) {
	t.Parallel()
	m := matrixOf(t, shopDir)
	mj := m.JSON(m.NewView(nil, true))
	for k, p := range mj.Ports {
		if p.Port == "5432" {
			mj.Ports[k].Allowed["ops/debug"] = append(mj.Ports[k].Allowed["ops/debug"], "shop/db-7c6b5a498-klmno")
		}
	}
	data, err := json.Marshal(mj)
	require.NoError(t, err)
	g, err := expect.ParseGolden("edited.json", data)
	require.NoError(t, err)
	d := g.Compare(m, expect.LevelEndpoint)
	require.Empty(t, d.Gained)
	require.Equal(t, []string{"ops/debug -> shop/db-7c6b5a498-klmno 5432/TCP: allow -> deny"}, changes(d.Lost))
	require.Equal(t, "ops/debug -> shop/db-7c6b5a498-klmno 5432/TCP: DENY", strings.SplitN(reachability.FormatTrace(d.Trace), "\n", 2)[0])
	require.Equal(t, "../../testdata/check/shop/policy.yaml:19:1: NetworkPolicy shop/db-from-web selects shop/db-7c6b5a498-klmno for ingress and no rule allows it (isolated by NetworkPolicy and no rule matched: denied)", d.Cause.Location.String()+": "+d.Cause.Text)
}

// goldenOf writes a matrix (or a view of it) as JSON and reads it back as
// a golden.
func goldenOf(t *testing.T, m *reachability.Matrix, port *reachability.Port) *expect.Golden {
	t.Helper()
	v := m.NewView(nil, true)
	if port != nil {
		var err error
		v, err = m.WithPort(v, *port)
		require.NoError(t, err)
	}
	var buf bytes.Buffer
	require.NoError(t, m.WriteJSON(&buf, v))
	g, err := expect.ParseGolden("mem.json", buf.Bytes())
	require.NoError(t, err)
	return g
}

// TestGoldenRoundTrip compares every seed scenario with its own matrix
// written as JSON: no drift, at either level.
func TestGoldenRoundTrip(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"tenant-isolation", "egress-db-except", "named-ports", "endport-range"} {
		m := matrixOf(t, "../../testdata/scenarios/"+dir)
		g := goldenOf(t, m, nil)
		for _, level := range []expect.Level{expect.LevelEndpoint, expect.LevelWorkload} {
			d := g.Compare(m, level)
			require.True(t, d.IsEmpty(), "%s at %s level: %+v", dir, level, d)
			require.Empty(t, d.Notes, dir)
		}
	}
}

// TestGoldenOnePort: a golden written with --port holds one port; the
// others are not compared, and a note says so.
func TestGoldenOnePort(t *testing.T) {
	t.Parallel()
	m := matrixOf(t, shopDir)
	g := goldenOf(t, m, &reachability.Port{Protocol: policy.TCP, Number: 5432})
	d := g.Compare(m, expect.LevelAuto)
	require.True(t, d.IsEmpty(), "%+v", d)
	require.Equal(t, []string{"the golden matrix does not hold 1-5431/TCP, 5433-65535/TCP, 1-65535/UDP, 1-65535/SCTP: not compared"}, d.Notes)

	d = g.Compare(matrixOf(t, shopDir+"/cluster.yaml", "../../testdata/check/shop-drift"), expect.LevelAuto)
	require.Equal(t, []string{"ops/debug -> shop/Deployment/db 5432/TCP: deny -> allow"}, changes(d.Gained))
	require.Empty(t, d.Lost)
}

func TestParseGoldenErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     string
	}{
		{"not JSON", "apiVersion: x", "g.json: error: golden matrix: invalid JSON: invalid character 'a' looking for beginning of value; expected the output of netreach matrix -o json"},
		{"wrong kind", `{"apiVersion": "netreach.io/v1alpha1", "kind": "CheckReport"}`,
			`g.json: error: golden matrix: expected apiVersion netreach.io/v1alpha1 and kind ReachabilityMatrix, got "netreach.io/v1alpha1" and "CheckReport"`},
		{"unknown names", `{"apiVersion": "netreach.io/v1alpha1", "kind": "ReachabilityMatrix",
			"entries": [{"name": "a/b", "kind": "Pod", "namespace": "a"}, {"name": "10.0.0.0/33", "kind": "External"}],
			"ports": [{"protocol": "TCP", "port": "80", "allowed": {"a/b": ["a/c"]}}, {"protocol": "XTP", "port": "1"}]}`,
			"g.json:2:75: error: golden matrix: entries[1].name: external entry \"10.0.0.0/33\": expected a CIDR or first-last\n" +
				"g.json:3:59: error: golden matrix: ports[0].allowed: destination \"a/c\" of \"a/b\" is not an entry\n" +
				"g.json:3:78: error: golden matrix: ports[1]: unknown protocol \"XTP\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, err := expect.ParseGolden("g.json", []byte(tc.in))
			require.Nil(t, g)
			var ds policy.Diagnostics
			require.True(t, errors.As(err, &ds))
			var got []string
			for _, d := range ds {
				got = append(got, d.String())
			}
			require.Equal(t, tc.want, strings.Join(got, "\n"))
		})
	}
}

func TestParseLevel(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]expect.Level{"": expect.LevelAuto, "auto": expect.LevelAuto, "pod": expect.LevelEndpoint, "endpoint": expect.LevelEndpoint, "workload": expect.LevelWorkload} {
		got, err := expect.ParseLevel(in)
		if err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v, want %v", in, got, err, want)
		}
	}
	if _, err := expect.ParseLevel("namespace"); err == nil {
		t.Error("ParseLevel(namespace) succeeded")
	}
}
