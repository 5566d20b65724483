package audit_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netreach/netreach/internal/audit"
)

// TestMeshFindings checks the service-mesh kinds on testdata/audit/mesh:
// web relies on the mesh alone in STRICT mode (NR018, NR020 for the legacy
// pod); pay is isolated by network policy and reached only by mesh pods
// while PERMISSIVE (NR021); two rules can never match (NR019): one names a
// service account no pod has, one a principal network policy keeps away.
func TestMeshFindings(t *testing.T) {
	t.Parallel()
	r := report(t, "mesh")
	type got struct {
		ID, Namespace, Message string
	}
	var fs []got
	for _, f := range r.Findings {
		switch f.Kind {
		case audit.MeshOnlyProtection, audit.MeshRuleNeverMatches, audit.MeshStrictUnreachable, audit.MeshPermissiveUnneeded:
			fs = append(fs, got{f.ID, f.Namespace, f.Message})
		}
	}
	want := []got{
		{"NR019", "pay", "AuthorizationPolicy pay/db-from-client rule 0 can never match: it names 1 pod by identity, but network policy keeps all of them from the 1 pod the policy protects"},
		{"NR019", "pay", "AuthorizationPolicy pay/ghost rule 0 can never match: it names cluster.local/ns/pay/sa/ghost, which no pod runs as or no namespace is"},
		{"NR020", "web", "1 pod outside the mesh may connect by network policy to 1 STRICT pod in web (TCP): their plaintext connections will be refused"},
		{"NR018", "web", "1 pod in web: no network policy restricts ingress, only the service mesh does"},
		{"NR021", "pay", "2 pods in pay accept plaintext (PERMISSIVE from the mesh default (no PeerAuthentication sets a mode)) although every client network policy lets in is in the mesh"},
	}
	if d := cmp.Diff(want, fs); d != "" {
		t.Errorf("mesh findings (-want +got):\n%s", d)
	}
	for _, k := range []audit.Kind{audit.MeshOnlyProtection, audit.MeshRuleNeverMatches, audit.MeshStrictUnreachable, audit.MeshPermissiveUnneeded} {
		if k.ID() == "" || k.Info().Remedy == "" {
			t.Errorf("kind %s is not in the catalogue", k)
		}
	}
}

// TestMeshFindingsNeedTheMesh checks that without Istio objects no mesh
// finding appears.
func TestMeshFindingsNeedTheMesh(t *testing.T) {
	t.Parallel()
	for _, f := range report(t, "open").Findings {
		if f.ID >= "NR018" && f.ID <= "NR021" {
			t.Errorf("finding %s %s without a mesh", f.ID, f.Message)
		}
	}
}
