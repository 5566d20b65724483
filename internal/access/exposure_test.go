package access_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/access"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// TestOutsideExposure lists what the internet and the controllers reach
// in the fixtures gateway-routes and openshift-route (their expect.txt
// derive the verdicts; here the connections are gathered per
// destination, with the ways in).
func TestOutsideExposure(t *testing.T) {
	t.Parallel()
	type row struct{ From, To, Kind, Allowed, Conditional string }
	tests := []struct {
		dir  string
		want []row
		via  map[string]string // To of a {internet} row -> one of its ways
	}{
		{"gateway-routes", []row{
			{access.Internet, "app/dns", "Pod", "UDP 5353", ""},
			{access.Internet, "app/tls", "Pod", "TCP 8443", ""},
			{access.Internet, "app/web", "Pod", "TCP 8080", ""},
			{access.IngressController, "app/dns", "Pod", "UDP 5353", ""},
			{access.IngressController, "app/tls", "Pod", "TCP 8443", ""},
			{access.IngressController, "app/web", "Pod", "TCP 8080", ""},
			{access.IngressController, "app/dns[Service]", "Service", "UDP 53", ""},
			{access.IngressController, "app/tls[Service]", "Service", "TCP 443", ""},
			{access.IngressController, "app/web[Service]", "Service", "TCP 80", ""},
		}, map[string]string{
			"app/tls": "TLSRoute edge/tls spec.rules[0].backendRefs[0] (Gateway edge/public; controller well-known labels) → Service app/tls 443/TCP → 8443/TCP",
		}},
		{"openshift-route", []row{
			{access.Internet, "openshift-ingress/router", "Pod", "", "TCP 80"},
			{access.Internet, "shop/cart", "Pod", "", "TCP 8081"},
			{access.Internet, "shop/pay", "Pod", "", "TCP 8443"},
			{access.Internet, "shop/store", "Pod", "", "TCP 8080"},
			{access.Internet, "openshift-ingress/router-default[Service]", "Service", "", "TCP 80"},
			{access.IngressController, "shop/cart", "Pod", "TCP 8081", ""},
			{access.IngressController, "shop/pay", "Pod", "TCP 8443", ""},
			{access.IngressController, "shop/store", "Pod", "TCP 8080", ""},
			{access.IngressController, "shop/cart[Service]", "Service", "TCP 80", ""},
			{access.IngressController, "shop/pay[Service]", "Service", "TCP 443", ""},
			{access.IngressController, "shop/store[Service]", "Service", "TCP 80", ""},
		}, map[string]string{
			"openshift-ingress/router": "Service openshift-ingress/router-default: LoadBalancer 80/TCP → 80/TCP",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			t.Parallel()
			snap, err := policy.Load(policy.LoadOptions{}, "../../testdata/access/"+tc.dir)
			require.NoError(t, err)
			m, err := access.Compute(context.Background(), snap, reachability.Options{}, access.Options{})
			require.NoError(t, err)
			xs := access.OutsideExposure(m, access.Options{})
			var got []row
			for _, x := range xs {
				got = append(got, row{x.From, x.To, x.Kind, text(x.Allowed), text(x.Conditional)})
				if want, ok := tc.via[x.To]; ok && x.From == access.Internet {
					require.Contains(t, x.Via, want)
				}
				require.NotEmpty(t, x.Via, "%s -> %s", x.From, x.To)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("exposure (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOutsideExposureWithoutLayer: a matrix without the access entries
// exposes nothing.
func TestOutsideExposureWithoutLayer(t *testing.T) {
	t.Parallel()
	snap, err := policy.Load(policy.LoadOptions{}, "../../testdata/access/gateway-routes")
	require.NoError(t, err)
	m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
	require.NoError(t, err)
	require.Empty(t, access.OutsideExposure(m, access.Options{}))
}

// text is the connections' text form, "" when there are none.
func text(c reachability.Connections) string {
	if c.IsEmpty() {
		return ""
	}
	return c.String()
}
