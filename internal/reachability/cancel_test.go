package reachability_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/netreach/netreach/internal/countdown"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/randcluster"
	"github.com/netreach/netreach/internal/reachability"
)

// nopLayer derives nothing.
type nopLayer struct{}

func (nopLayer) PortCuts(*policy.Snapshot) []reachability.PortRange { return nil }
func (nopLayer) Derive(ctx context.Context, _ *reachability.Matrix) (reachability.Derived, error) {
	return reachability.Derived{}, ctx.Err()
}

// cancelEverywhere runs call with a context cancelled at its first look,
// then its second, and so on until the call completes, and checks that
// every cancelled run returns context.Canceled and no matrix. It returns
// how many looks the complete run took.
func cancelEverywhere(t *testing.T, name string, call func(ctx context.Context) (*reachability.Matrix, error)) int {
	t.Helper()
	for n := 0; n < 100000; n++ {
		ctx := countdown.New(n)
		m, err := call(ctx)
		if err == nil {
			if n == 0 {
				t.Fatalf("%s: a cancelled context returned no error", name)
			}
			return n
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%s cancelled at look %d: err %v, want context.Canceled", name, n, err)
		}
		if m != nil {
			t.Fatalf("%s cancelled at look %d: returned a matrix with the error", name, n)
		}
		if got := ctx.Looks(); got > n+64 {
			// Workers may look once each after the cancel; many more looks
			// mean a phase ran on without returning.
			t.Fatalf("%s cancelled at look %d: looked %d times more", name, n, got-n)
		}
	}
	t.Fatalf("%s: never completed", name)
	return 0
}

// TestComputeCancelled checks that Compute, ComputeWith and Update return
// context.Canceled wherever they are cancelled: before the start, while
// classifying the endpoints, compiling the policies, evaluating the rows
// and transposing them.
func TestComputeCancelled(t *testing.T) {
	incremental := 0
	for seed := uint64(1); seed <= 4; seed++ {
		r := rand.New(rand.NewPCG(seed, 0xcc))
		calico := seed%2 == 0
		snap := load(t, seed, randcluster.Generate(r, randcluster.Config{Namespaces: 3, Pods: 300, Policies: 150, Admin: !calico, Calico: calico}))
		opts := reachability.Options{KeepSides: true, Workers: 2}
		if calico {
			opts.Mode = policy.ModeCalico
		}
		// Compute looks at its context every 64 endpoints while
		// classifying them, and every 64 policies while compiling them
		// and again while coding their ports: a run that looks fewer
		// times ignores its context somewhere.
		var st reachability.Stats
		n := cancelEverywhere(t, "Compute", func(ctx context.Context) (*reachability.Matrix, error) {
			m, err := reachability.Compute(ctx, snap, opts)
			if err == nil {
				st = m.Stats()
			}
			return m, err
		})
		if want := st.Endpoints/64 + 2*(st.Policies/64); n < want {
			t.Errorf("seed %d: Compute looked at its context %d times, want at least %d", seed, n, want)
		}
		cancelEverywhere(t, "ComputeWith", func(ctx context.Context) (*reachability.Matrix, error) {
			return reachability.ComputeWith(ctx, snap, opts, nopLayer{})
		})
		prev, err := reachability.Compute(context.Background(), snap, opts)
		if err != nil {
			t.Fatal(err)
		}
		other := load(t, seed, randcluster.Generate(r, randcluster.Config{Namespaces: 3, Pods: 300, Policies: 150, Admin: !calico, Calico: calico}))
		next, err := snap.Apply(randomChange(r, snap, other))
		if err != nil {
			t.Fatal(err)
		}
		var last *reachability.Matrix
		cancelEverywhere(t, "Update", func(ctx context.Context) (*reachability.Matrix, error) {
			m, err := reachability.Update(ctx, prev, next)
			last = m
			return m, err
		})
		if !last.Stats().Update.Full {
			incremental++
		}
	}
	if incremental == 0 {
		t.Error("no update was incremental: the incremental path went untested")
	}
}

// TestUpdateCancelledClassifying checks that Update looks at its context
// while it classifies the endpoints (every 16) and while it marks the
// classes to evaluate again (every 16), and returns context.Canceled
// wherever it is cancelled.
func TestUpdateCancelledClassifying(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 0xcd))
	cfg := randcluster.Config{Namespaces: 3, Pods: 2000, Policies: 4}
	snap := load(t, 7, randcluster.Generate(r, cfg))
	prev, err := reachability.Compute(context.Background(), snap, reachability.Options{KeepSides: true, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	// A pod with labels of its own (a new class), one pod gone.
	pod := *snap.Endpoints[0]
	pod.Name += "-new"
	pod.Labels = map[string]string{"app": "unique-to-this-test"}
	gone := snap.Endpoints[1]
	next, err := snap.Apply(&policy.Snapshot{Endpoints: []*policy.Endpoint{&pod}}, []string{"pod/" + gone.Namespace + "/" + gone.Name})
	if err != nil {
		t.Fatal(err)
	}
	var last *reachability.Matrix
	n := cancelEverywhere(t, "Update", func(ctx context.Context) (*reachability.Matrix, error) {
		m, err := reachability.Update(ctx, prev, next)
		last = m
		return m, err
	})
	st := last.Stats()
	if st.Update.Full {
		t.Fatalf("Update computed in full (%s): the classifying went untested", st.Update.Reason)
	}
	if want := len(next.Endpoints)/16 + last.NumClasses()/16; n < want {
		t.Errorf("Update looked at its context %d times, want at least %d (endpoints/16 + classes/16)", n, want)
	}
}
