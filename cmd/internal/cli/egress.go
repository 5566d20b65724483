package cli

import (
	"context"
	"net/netip"

	"github.com/spf13/cobra"

	"github.com/netreach/netreach/cmd/internal/viewreport"
	"github.com/netreach/netreach/internal/egress"
	"github.com/netreach/netreach/internal/reachability"
)

func init() { registerCommand(newEgressCmd) }

type egressFlags struct {
	in       inputFlags
	output   string
	to       []string
	focus    []string
	firewall bool
	force    bool
}

// egressSizeHint names the ways out of a refused egress output.
const egressSizeHint = "narrow it with --to CIDR or --focus, or write it anyway with --force"

func newEgressCmd(e *env) *cobra.Command {
	f := &egressFlags{}
	c := &cobra.Command{
		Use:   "egress -f FILE|DIR|- [--to CIDR] [--focus SEL] [-o table|csv|json] [--firewall] [--force]",
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
netreach cannot decide offline) are marked. --focus keeps the pods it
selects. An output above the size limits (10 million lines or 1 GB) is
refused before anything is written, with its estimated size; --to,
--focus or --force are the ways out.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runEgress(c.Context(), e, f) },
	}
	f.in.register(c)
	fl := c.Flags()
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table, csv or json")
	fl.StringSliceVar(&f.to, "to", nil, "only destinations inside these CIDRs (repeatable)")
	fl.StringArrayVar(&f.focus, "focus", nil, "only the pods these select: ns/workload, ns/pod, ns/*, a pod label selector (app=web) or a CIDR; repeatable")
	fl.BoolVar(&f.firewall, "firewall", false, "print firewall allow rules (source × destination × port) instead of the table")
	registerForce(fl, &f.force)
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
	for _, s := range f.focus {
		sel, err := reachability.ParseSelection(s)
		if err != nil {
			return usageError("--focus: %v", err)
		}
		opts.Focus = append(opts.Focus, sel)
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
	a := egress.New(m, opts)
	format := egress.FormatTable
	switch {
	case f.firewall:
		format = egress.FormatFirewall
	case f.output == "csv":
		format = egress.FormatCSV
	case f.output == "json":
		format = egress.FormatJSON
	}
	if !f.force {
		rows, bytes := a.Size(format)
		if err := viewreport.CheckEstimate(rows, bytes, false, egressSizeHint); err != nil {
			return &exitError{code: ExitBadData, err: err}
		}
	}
	return a.Write(e.stdout, format)
}
