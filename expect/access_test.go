package expect_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/access"
	"github.com/netreach/netreach/expect"
	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/reachability"
)

// gatewayMatrix is the matrix of testdata/access/gateway-routes with the
// access model's entries: the gateway pod edge/gw forwards an HTTPRoute to
// app/web (8080 behind Service port 80), a TLSRoute to app/tls (8443
// behind 443) and a UDPRoute to app/dns (5353/UDP behind 53); the routes to
// app/api and app/syslog are refused (no ReferenceGrant).
func gatewayMatrix(t *testing.T) *reachability.Matrix {
	t.Helper()
	snap, err := policy.Load(policy.LoadOptions{}, "../testdata/access/gateway-routes")
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
	snap, err := policy.Load(policy.LoadOptions{}, "../testdata/access/gateway-routes")
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
