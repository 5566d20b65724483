package access_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/access"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// TestLayersOfDerivedEntries checks that the layers behind a combined
// (network and mesh) verdict also hold the derived entries: in
// testdata/mesh/compromised-pod network policy lets shop/evil-labels reach
// shop/payments on 8443 while the mesh (wrong principal) does not, and
// the Service shop/payments (port 8443) answers as its backend does.
func TestLayersOfDerivedEntries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	snap, err := policy.Load(policy.LoadOptions{}, "../../testdata/mesh/compromised-pod")
	require.NoError(t, err)
	m, err := access.Compute(ctx, snap, reachability.Options{}, access.Options{})
	require.NoError(t, err)
	require.Equal(t, reachability.MeshIstio, m.MeshMode())
	ls, err := m.ComputeLayers(ctx)
	require.NoError(t, err)
	src, ok := m.Lookup("shop/evil-labels")
	require.True(t, ok)
	p := m.PortAtomIndex(policy.TCP, 8443)
	require.GreaterOrEqual(t, p, 0)
	for _, to := range []string{"shop/payments", "shop/payments[Service]"} {
		dst, ok := m.Lookup(to)
		require.True(t, ok, to)
		require.Equal(t, reachability.Deny, m.At(src, dst, p), to)
		require.Equal(t, reachability.Deny, ls.At(reachability.LayerCombined, src, dst, p), to)
		require.Equal(t, reachability.Allow, ls.At(reachability.LayerNetwork, src, dst, p), to)
		require.Equal(t, reachability.Deny, ls.At(reachability.LayerMesh, src, dst, p), to)
	}
}
