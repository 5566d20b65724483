package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netreach/netreach/internal/bench"
)

func init() { registerCommand(newGenerateCmd) }

type generateFlags struct {
	pods, namespaces, policies int
	calico, distinct, mesh     bool
	seed                       uint64
	out                        string
}

func newGenerateCmd(e *env) *cobra.Command {
	f := &generateFlags{}
	c := &cobra.Command{
		Use:   "generate --pods N --namespaces M --policies K [--calico] [--mesh] [--distinct] --seed S -o DIR",
		Short: "Write a synthetic cluster as manifests, to reproduce a benchmark",
		Long: `generate writes a deterministic synthetic cluster: namespaces (tenants and
shared ones), pods of workloads whose replicas share labels, and network
policies mixing selectors, expressions, ipBlocks with except, named ports and
port ranges — the clusters the benchmarks in bench/ measure. --calico adds
Calico tiers and policies; --mesh adds Istio PeerAuthentications and
AuthorizationPolicies for the namespaces with sidecar injection; --distinct gives every pod unique labels and
ipBlocks over pod addresses (the worst case, where no pods collapse into one
class). The same flags and seed always write the same bytes.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if f.out == "" {
				return usageError("generate needs -o DIR")
			}
			if f.out == "-" {
				return usageError("generate -o -: generate writes a directory of manifests, not to standard output; give -o DIR")
			}
			if f.pods < 1 || f.namespaces < 0 || f.policies < 0 {
				return usageError("--pods must be positive; --namespaces and --policies must not be negative")
			}
			cl := bench.Generate(bench.Config{Pods: f.pods, Namespaces: f.namespaces, Policies: f.policies,
				Calico: f.calico, Mesh: f.mesh, Distinct: f.distinct, Seed: f.seed})
			if err := cl.WriteDir(f.out); err != nil {
				return &exitError{code: ExitOutput, err: err}
			}
			fmt.Fprintf(e.stderr, "wrote %d namespaces, %d pods, %d network policies", len(cl.Namespaces), len(cl.Pods), len(cl.NetworkPolicies))
			if len(cl.Calico) > 0 {
				fmt.Fprintf(e.stderr, ", %d Calico objects", len(cl.Calico))
			}
			if len(cl.Mesh) > 0 {
				fmt.Fprintf(e.stderr, ", %d Istio objects", len(cl.Mesh))
			}
			fmt.Fprintf(e.stderr, " to %s\n", f.out)
			return nil
		},
	}
	c.Flags().IntVar(&f.pods, "pods", 1000, "number of pods")
	c.Flags().IntVar(&f.namespaces, "namespaces", 0, "number of namespaces, shared ones included (0: pods/20)")
	c.Flags().IntVar(&f.policies, "policies", 0, "number of Kubernetes NetworkPolicies (0: 3 per 10 pods)")
	c.Flags().BoolVar(&f.calico, "calico", false, "add Calico tiers and policies")
	c.Flags().BoolVar(&f.mesh, "mesh", false, "add Istio PeerAuthentications and AuthorizationPolicies")
	c.Flags().BoolVar(&f.distinct, "distinct", false, "worst case: every pod distinct")
	c.Flags().Uint64Var(&f.seed, "seed", 1, "random seed")
	c.Flags().StringVarP(&f.out, "output", "o", "", "directory to write the manifests to")
	return c
}
