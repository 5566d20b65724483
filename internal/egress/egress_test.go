package egress_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/egress"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// analyze loads a fixture directory and analyses it.
func analyze(t *testing.T, dir string, opts egress.Options) *egress.Report {
	t.Helper()
	snap, err := policy.Load(policy.LoadOptions{}, dir)
	require.NoError(t, err)
	m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
	require.NoError(t, err)
	return egress.Analyze(m, opts)
}

// row formats a flow as the fixtures' expect.txt lines do.
func row(f egress.Flow) string {
	list := func(xs []string) string {
		if len(xs) == 0 {
			return "-"
		}
		return strings.Join(xs, " ")
	}
	var dsts, srcs []string
	for _, p := range f.Destinations {
		dsts = append(dsts, p.String())
	}
	for _, p := range f.Sources {
		srcs = append(srcs, p.String())
	}
	conn := f.Allowed.String()
	if !f.Conditional.IsEmpty() {
		conn += " ?" + f.Conditional.String()
	}
	return strings.Join([]string{f.Workload, list(dsts), conn, string(f.Via), list(srcs), list(f.SharedWith)}, " | ")
}

// TestFixtures checks every fixture under testdata/egress against its
// hand-derived expect.txt.
func TestFixtures(t *testing.T) {
	dirs, err := filepath.Glob("../../testdata/egress/*/expect.txt")
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for _, exp := range dirs {
		dir := filepath.Dir(exp)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(exp)
			require.NoError(t, err)
			var want []string
			sc := bufio.NewScanner(bytes.NewReader(data))
			for sc.Scan() {
				if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
					want = append(want, l)
				}
			}
			var got []string
			for _, f := range analyze(t, dir, egress.Options{}).Flows {
				got = append(got, row(f))
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%s (-want +got):\n%s", dir, d)
			}
		})
	}
}

func TestFirewallAndTo(t *testing.T) {
	t.Parallel()
	to := []netip.Prefix{netip.MustParsePrefix("172.18.0.0/16")}
	r := analyze(t, "../../testdata/egress/egress-gateway", egress.Options{To: to})
	var b bytes.Buffer
	require.NoError(t, r.WriteFirewall(&b))
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Equal(t, []string{
		"allow 10.10.10.1/32 -> 172.18.0.0/16 443/TCP  # app/api via gateway",
		"allow 192.168.10.2/32 -> 172.18.0.0/16 443/TCP  # pay/billing via gateway",
	}, lines[1:])
	require.True(t, strings.HasPrefix(lines[0], "# mode=k8s"))

	b.Reset()
	require.NoError(t, r.WriteJSON(&b))
	var doc struct {
		Flows []struct {
			Workload    string   `json:"workload"`
			Via         string   `json:"via"`
			Sources     []string `json:"sources"`
			Connections string   `json:"connections"`
		} `json:"flows"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	require.Len(t, doc.Flows, 2)
	require.Equal(t, "pay/billing", doc.Flows[1].Workload)
	require.Equal(t, []string{"192.168.10.2/32"}, doc.Flows[1].Sources)
	require.Equal(t, "TCP 443", doc.Flows[1].Connections)
}
