package expect_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/access"
	"github.com/netreach/netreach/internal/expect"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// gatewayMatrix is the matrix of testdata/access/gateway-routes with the
// access model's entries: the gateway pod edge/gw forwards an HTTPRoute to
// app/web (8080 behind Service port 80), a TLSRoute to app/tls (8443
// behind 443) and a UDPRoute to app/dns (5353/UDP behind 53); the routes to
// app/api and app/syslog are refused (no ReferenceGrant).
func gatewayMatrix(t *testing.T) *reachability.Matrix {
	t.Helper()
	snap, err := policy.Load(policy.LoadOptions{}, "../../testdata/access/gateway-routes")
	require.NoError(t, err)
	m, err := access.Compute(context.Background(), snap, reachability.Options{}, access.Options{})
	require.NoError(t, err)
	return m
}

// TestAccessEntries checks that rules select {internet},
// {ingress-controller} and Services, and that their verdicts are the
// matrix's derived ones.
func TestAccessEntries(t *testing.T) {
	t.Parallel()
	m := gatewayMatrix(t)
	tests := []struct {
		name       string
		rule       string
		status     expect.Status
		violations []string
		err        string
		path       string // in the explanation of the first violation
	}{
		{"internet reaches web", "from: {internet: true}\nto: {namespace: app, pod: web}\nports: [8080/TCP]\nexpect: allow",
			expect.Pass, nil, "", ""},
		{"refused route", "from: {ingressController: true}\nto: {service: app/api}\nexpect: deny",
			expect.Pass, nil, "", ""},
		{"services by glob", "from: {ingressController: true}\nto: {service: \"app/*\"}\nexpect: deny",
			expect.Fail, []string{
				"{ingress-controller} -> app/dns[Service] 53/UDP: allow",
				"{ingress-controller} -> app/tls[Service] 443/TCP: allow",
				"{ingress-controller} -> app/web[Service] 80/TCP: allow",
			}, "", "controller pod edge/gw → app/dns"},
		{"pods to a service", "from: {namespace: edge}\nto: {service: [app/web, app/tls]}\nports: [80/TCP, 443/TCP]\nexpect: allow",
			expect.Fail, []string{"edge/gw -> app/web[Service] 443/TCP: deny", "edge/gw -> app/tls[Service] 80/TCP: deny"}, "", "Service app/tls has no port 80/TCP"},
		{"internet is no destination", "from: {namespace: app}\nto: {internet: true}\nexpect: deny",
			expect.Error, nil, "selects no flow", ""},
		{"no such service", "from: {internet: true}\nto: {service: app/nope}\nexpect: deny",
			expect.Error, nil, "selects no entry", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := evalOne(t, m, tc.rule)
			require.Equal(t, tc.status, res.Status, "err: %v; violations: %v", res.Err, violations(res))
			if tc.err != "" {
				require.ErrorContains(t, res.Err, tc.err)
				return
			}
			got := violations(res)
			if diff := cmp.Diff(tc.violations, got, sortStrings()); diff != "" {
				t.Errorf("violations (-want +got):\n%s", diff)
			}
			if res.Status == expect.Fail {
				require.Nil(t, res.Trace, "a derived flow has no policy trace")
				require.NotEmpty(t, res.Path, "a derived flow is explained by its path")
				require.Contains(t, strings.Join(res.Path, "\n"), tc.path)
			}
		})
	}
}

// TestAccessEntriesNeedLayer checks that selecting {internet} in a matrix
// computed without the access model is an error, not a silent pass.
func TestAccessEntriesNeedLayer(t *testing.T) {
	t.Parallel()
	snap, err := policy.Load(policy.LoadOptions{}, "../../testdata/access/gateway-routes")
	require.NoError(t, err)
	m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
	require.NoError(t, err)
	res := evalOne(t, m, "from: {internet: true}\nto: {namespace: app}\nexpect: deny")
	require.Equal(t, expect.Error, res.Status)
	require.ErrorContains(t, res.Err, "selects no entry")
}

// TestParseAccessSelection checks that the access model's fields make a
// selection of their own.
func TestParseAccessSelection(t *testing.T) {
	t.Parallel()
	for _, sel := range []string{"{internet: true, namespace: x}", "{internet: true, service: a/b}", "{service: web}", "{internet: false}"} {
		_, err := expect.Parse("x.yaml", []byte(rules("name: r\nfrom: "+sel+"\nto: {namespace: x}\nexpect: deny")))
		require.Error(t, err, sel)
	}
}

func sortStrings() cmp.Option {
	return cmp.Transformer("sort", func(in []string) []string {
		out := append([]string(nil), in...)
		for i := range out {
			for j := i + 1; j < len(out); j++ {
				if out[j] < out[i] {
					out[i], out[j] = out[j], out[i]
				}
			}
		}
		return out
	})
}

// TestGoldenAccessEntries records the gateway fixture's matrix as a golden
// one and compares: unchanged, it matches; with a ReferenceGrant that lets
// the HTTPRoute edge/api reach app/api, the controller and the internet
// gain app/api (and the controller its Service), explained by the path.
func TestGoldenAccessEntries(t *testing.T) {
	t.Parallel()
	m := gatewayMatrix(t)
	var buf bytes.Buffer
	require.NoError(t, m.WriteJSON(&buf, m.NewView(nil, true)))
	require.Contains(t, buf.String(), `"{internet}"`)
	g, err := expect.ParseGolden("golden.json", buf.Bytes())
	require.NoError(t, err)
	d := g.Compare(m, expect.LevelEndpoint)
	require.True(t, d.IsEmpty(), "%+v", d)

	snap, err := policy.Load(policy.LoadOptions{}, "../../testdata/access/gateway-routes", "../../testdata/access/gateway-routes-drift")
	require.NoError(t, err)
	m2, err := access.Compute(context.Background(), snap, reachability.Options{}, access.Options{})
	require.NoError(t, err)
	d = g.Compare(m2, expect.LevelEndpoint)
	want := []string{
		"{ingress-controller} -> app/api 8080/TCP: deny -> allow",
		"{ingress-controller} -> app/api[Service] 80/TCP: deny -> allow",
		"{internet} -> app/api 8080/TCP: deny -> allow",
	}
	if diff := cmp.Diff(want, changes(d.Gained)); diff != "" {
		t.Errorf("gained (-want +got):\n%s", diff)
	}
	require.Empty(t, d.Lost)
	require.Empty(t, d.Added)
	require.Nil(t, d.Trace)
	require.Contains(t, strings.Join(d.Path, "\n"), "controller pod edge/gw → app/api")

	// A golden without the access entries (an older netreach): they are
	// added, with their flows.
	m0, err := reachability.Compute(context.Background(), snap, reachability.Options{})
	require.NoError(t, err)
	buf.Reset()
	require.NoError(t, m0.WriteJSON(&buf, m0.NewView(nil, true)))
	g0, err := expect.ParseGolden("old.json", buf.Bytes())
	require.NoError(t, err)
	d = g0.Compare(m2, expect.LevelEndpoint)
	require.Contains(t, d.Added, "{internet}")
	require.Contains(t, d.Added, "app/web[Service]")
	require.NotEmpty(t, d.Gained)
	require.Empty(t, d.Lost)
}
