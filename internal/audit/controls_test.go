package audit_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/audit"
)

// TestControlsDocumented checks docs/audit-standards.md against the
// mapping: one row per kind, naming exactly the kind's NSA/CISA
// subsections and CIS controls; and that the JSON catalogue carries them.
func TestControlsDocumented(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../docs/audit-standards.md")
	require.NoError(t, err)
	rows := map[string][]string{}
	for _, line := range strings.Split(string(data), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) == 6 && strings.HasPrefix(strings.TrimSpace(cells[1]), "NR") {
			rows[strings.TrimSpace(cells[1])] = []string{strings.TrimSpace(cells[3]), strings.TrimSpace(cells[4])}
		}
	}
	for _, k := range audit.Kinds() {
		row, ok := rows[k.ID]
		require.True(t, ok, "%s is not in docs/audit-standards.md", k.ID)
		var nsa, cis []string
		for _, c := range k.Kind.Controls() {
			switch c.Standard {
			case audit.NSACISA:
				_, sub, _ := strings.Cut(c.ID, " / ")
				nsa = append(nsa, sub)
			case audit.CISKubernetes:
				cis = append(cis, c.ID)
			default:
				t.Errorf("%s: unknown standard %q", k.ID, c.Standard)
			}
		}
		want := []string{strings.Join(nsa, ", "), strings.Join(cis, ", ")}
		for i := range want {
			if want[i] == "" {
				want[i] = "—"
			}
		}
		require.Equal(t, want, row, "%s in docs/audit-standards.md", k.ID)
	}
	b, err := json.Marshal(audit.IngressNotIsolated.Info())
	require.NoError(t, err)
	require.Contains(t, string(b), `"controls":[{"standard":"NSA/CISA Kubernetes Hardening Guidance v1.2"`)
	require.Contains(t, string(b), `{"standard":"CIS Kubernetes Benchmark","id":"5.3.2","title":"Ensure that all Namespaces have Network Policies defined"}`)
	b, err = json.Marshal(audit.RuleShadowed.Info())
	require.NoError(t, err)
	require.NotContains(t, string(b), "controls")
}
