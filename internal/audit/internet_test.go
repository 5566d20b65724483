package audit_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/access"
	"github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// TestInternetExposed checks NR022 on the access fixtures: in
// service-types web/api is reached by every client (node port 30080,
// externalTrafficPolicy Local) and its policy admits 0.0.0.0/0 on 8080;
// web/db is reached by some clients only. In gateway-routes and
// openshift-route the backends admit only the controller's namespace.
func TestInternetExposed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dir  string
		want []string // messages
		via  string   // in the first finding's evidence
	}{
		{"service-types", []string{"Pod web/api is reachable from every internet client on 8080/TCP and its network policy admits every address on these ports"},
			"via Service web/api-lb: NodePort 30080/TCP → 8080/TCP"},
		{"gateway-routes", nil, ""},
		{"openshift-route", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			t.Parallel()
			snap, err := policy.Load(policy.LoadOptions{}, "../../testdata/access/"+tc.dir)
			require.NoError(t, err)
			m, err := access.Compute(context.Background(), snap, reachability.Options{}, access.Options{})
			require.NoError(t, err)
			var got []string
			var first *audit.Finding
			for _, f := range audit.Findings(snap, m, audit.Options{}) {
				if f.Kind == audit.InternetExposed {
					require.Equal(t, "NR022", f.ID)
					require.Equal(t, audit.High, f.Severity)
					got = append(got, f.Message)
					if first == nil {
						first = &f
					}
				}
			}
			require.Equal(t, tc.want, got)
			if first != nil {
				require.Contains(t, first.Evidence, tc.via)
			}
			// Without the access entries there is nothing to report.
			m0, err := reachability.Compute(context.Background(), snap, reachability.Options{})
			require.NoError(t, err)
			for _, f := range audit.Findings(snap, m0, audit.Options{}) {
				require.NotEqual(t, audit.InternetExposed, f.Kind)
			}
		})
	}
}
