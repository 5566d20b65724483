package live_test

import (
	"context"
	"fmt"
	"os"

	"github.com/netreach/netreach/live"
	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/reachability"
)

// Reading the cluster of a kubeconfig context, keeping what was read in
// cluster.yaml (to rerun the analysis offline), and listing what the read
// left out. (No output: it needs a cluster; the tests read recorded API
// responses.)
func ExampleRead() {
	ctx := context.Background()
	f, err := os.Create("cluster.yaml")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	snap, err := live.Read(ctx, live.Options{Context: "kind-prod", Manifests: f})
	if err != nil && snap == nil {
		panic(err) // no cluster, or a failure of its API server
	}
	for _, d := range snap.Diagnostics() {
		switch d.Code {
		case live.CodeForbidden, live.CodeUnavailable:
			fmt.Println("left out:", d.Value, "-", d.Message)
		}
	}
	m, err := reachability.Compute(ctx, snap, reachability.Options{})
	if err != nil {
		panic(err)
	}
	v, err := m.Query("shop/web-0", "db/pg-0", reachability.Port{Protocol: policy.TCP, Port: 5432})
	fmt.Println(v, err)
}
