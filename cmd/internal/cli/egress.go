package cli

import (
	"context"
	"net/netip"

	"github.com/spf13/cobra"

	"github.com/netreach/netreach/internal/egress"
)

func init() { registerCommand(newEgressCmd) }

type egressFlags struct {
	in       inputFlags
	output   string
	to       []string
	firewall bool
}

func newEgressCmd(e *env) *cobra.Command {
	f := &egressFlags{}
	c := &cobra.Command{
		Use:   "egress -f FILE|DIR|- [--to CIDR] [-o table|csv|json] [--firewall]",
		Short: "Show the source addresses a workload's traffic to outside destinations leaves with",
		Long: `egress lists, for every workload and every destination outside the cluster
it may open connections to, the source addresses an outside observer (a
firewall) sees: the pod's address, or its IP pool's range when the pod has
none yet (pool without natOutgoing); its node's InternalIP addresses (pool
with natOutgoing: Calico masquerades traffic to destinations outside every
pool); or the addresses of the egress gateways it goes through (Calico
Enterprise EgressGatewayPolicy, egress.projectcalico.org/selector
annotations). Destinations inside an IP pool are the cluster's own pods and
are left out. docs/calico-ipam.md documents the rules and their sources.

--firewall prints one allow rule per source range, destination range and
port range instead. Conditional connections (allowed only under a condition
netreach cannot decide offline) are marked.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runEgress(c.Context(), e, f) },
	}
	f.in.register(c)
	fl := c.Flags()
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table, csv or json")
	fl.StringSliceVar(&f.to, "to", nil, "only destinations inside these CIDRs (repeatable)")
	fl.BoolVar(&f.firewall, "firewall", false, "print firewall allow rules (source × destination × port) instead of the table")
	return c
}

func runEgress(ctx context.Context, e *env, f *egressFlags) error {
	switch f.output {
	case "table", "csv", "json":
	default:
		return usageError("-o %q: expected table, csv or json", f.output)
	}
	var opts egress.Options
	for _, s := range f.to {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return usageError("--to %q: expected a CIDR such as 172.18.0.0/16 or an address", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		opts.To = append(opts.To, p.Masked())
	}
	snap, ropts, err := f.in.load(e)
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	m, err := f.in.compute(ctx, e, snap, ropts)
	if err != nil {
		return err
	}
	r := egress.Analyze(m, opts)
	switch {
	case f.firewall:
		err = r.WriteFirewall(e.stdout)
	case f.output == "csv":
		err = r.WriteCSV(e.stdout)
	case f.output == "json":
		err = r.WriteJSON(e.stdout)
	default:
		err = r.WriteTable(e.stdout)
	}
	return err
}
