package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/netreach/netreach/reachability"
)

type matrixFlags struct {
	in         inputFlags
	output     string
	port       string
	namespaces []string
	all        bool
	layers     bool
}

func newMatrixCmd(e *env) *cobra.Command {
	f := &matrixFlags{}
	c := &cobra.Command{
		Use:   "matrix -f FILE|DIR|- [-o table|wide|csv|json|summary] [--port 80/TCP] [-n NS | -A]",
		Short: "Compute the reachability matrix: who can connect to whom, per protocol and port",
		Long: `matrix computes, for every ordered pair of endpoints (pods, or workloads
standing in for their pods) and every port atom, whether a connection can
be opened. External address ranges cut from the policies' CIDRs appear as
extra entries in csv, json and wide output.

Output formats:
  table    truth tables, sources as rows, destinations as columns,
           '.' allowed, 'X' denied, '?' conditional; port atoms with the
           same table share one
  wide     table with the external address ranges
  csv      source,destination,protocol,port,allowed (stable; see README);
           with --layers also network,mesh: the verdict of each layer
  json     versioned document (apiVersion netreach.io/v1alpha1)
  summary  sizes and timings of the computation`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runMatrix(c.Context(), e, f) },
	}
	f.in.register(c)
	c.Flags().StringVarP(&f.output, "output", "o", "table", "output format: table, wide, csv, json or summary")
	c.Flags().StringVar(&f.port, "port", "", "only this port, as NUMBER/PROTOCOL (80/TCP) or a protocol without ports (ICMP)")
	c.Flags().StringSliceVarP(&f.namespaces, "namespace", "n", nil, "only endpoints of these namespaces (repeatable)")
	c.Flags().BoolVarP(&f.all, "all-namespaces", "A", false, "every namespace (the default)")
	c.Flags().BoolVar(&f.layers, "layers", false, "csv and json: also give the verdict of each layer (network policy alone, the service mesh alone)")
	return c
}

func runMatrix(ctx context.Context, e *env, f *matrixFlags) error {
	switch f.output {
	case "table", "wide", "csv", "json", "summary":
	default:
		return usageError("-o %q: expected table, wide, csv, json or summary", f.output)
	}
	if f.all && len(f.namespaces) > 0 {
		return usageError("-A and -n cannot be used together")
	}
	if f.layers && f.output != "csv" && f.output != "json" {
		return usageError("--layers needs -o csv or -o json")
	}
	var port *reachability.Port
	if f.port != "" {
		proto, num, err := parsePortFlag(f.port)
		if err != nil {
			return usageError("--port: %v", err)
		}
		port = &reachability.Port{Protocol: proto, Number: num}
	}
	t0 := time.Now()
	snap, opts, err := f.in.load(e)
	if err != nil {
		return err
	}
	loadTime := time.Since(t0)
	m, err := f.in.compute(ctx, e, snap, opts)
	if err != nil {
		return err
	}
	external := f.output != "table"
	v := m.NewView(f.namespaces, external)
	if port != nil {
		if v, err = m.WithPort(v, *port); err != nil {
			return usageError("--port: %v", err)
		}
	}
	if f.layers {
		ls, err := m.ComputeLayers(ctx)
		if err != nil {
			return &exitError{code: ExitBadData, err: err}
		}
		if f.output == "csv" {
			return m.WriteCSVLayers(e.stdout, v, ls)
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(m.JSONLayers(v, ls))
	}
	switch f.output {
	case "csv":
		return m.WriteCSV(e.stdout, v)
	case "json":
		return m.WriteJSON(e.stdout, v)
	case "summary":
		return writeSummary(e.stdout, m, loadTime)
	}
	fmt.Fprintf(e.stdout, "# %s\n", m.Describe())
	return m.WriteTable(e.stdout, v)
}

// writeSummary prints sizes, allowed pairs per port atom and timings.
func writeSummary(w io.Writer, m *reachability.Matrix, load time.Duration) error {
	st := m.Stats()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "options\t%s\n", m.Describe())
	fmt.Fprintf(tw, "endpoints\t%d\n", st.Endpoints)
	fmt.Fprintf(tw, "classes\t%d\n", st.Classes)
	fmt.Fprintf(tw, "external atoms\t%d\n", st.ExternalAtoms)
	fmt.Fprintf(tw, "port atoms\t%d\n", st.PortAtoms)
	fmt.Fprintf(tw, "policies\t%d (%d rules after lowering)\n", st.Policies, st.Rules)
	fmt.Fprintf(tw, "rows kept\t%d distinct (class, direction, port-atom group) rows\n", st.RowGroups)
	fmt.Fprintf(tw, "time load\t%s\n", load.Round(time.Microsecond))
	fmt.Fprintf(tw, "time lower\t%s\n", st.Lower.Round(time.Microsecond))
	fmt.Fprintf(tw, "time classes\t%s\n", st.Classify.Round(time.Microsecond))
	fmt.Fprintf(tw, "time compile\t%s\n", st.Compile.Round(time.Microsecond))
	fmt.Fprintf(tw, "time rows\t%s\n", st.Rows.Round(time.Microsecond))
	fmt.Fprintf(tw, "time transpose\t%s (assembly of egress AND ingress)\n", st.Transpose.Round(time.Microsecond))
	if err := tw.Flush(); err != nil {
		return err
	}
	n := int64(m.NumEndpoints())
	fmt.Fprintf(w, "\nallowed endpoint pairs per port atom (of %d ordered pairs):\n", n*n)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for p, at := range m.PortAtoms() {
		fmt.Fprintf(tw, "  %s\t%d\n", at, m.AllowedPairs(p))
	}
	return tw.Flush()
}
