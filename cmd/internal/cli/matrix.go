package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/netreach/netreach/cmd/internal/viewreport"
	"github.com/netreach/netreach/internal/reachability"
)

type matrixFlags struct {
	in         inputFlags
	view       viewFlags
	output     string
	port       string
	namespaces []string
	all        bool
	layers     bool
}

func newMatrixCmd(e *env) *cobra.Command {
	f := &matrixFlags{}
	c := &cobra.Command{
		Use:   "matrix -f FILE|DIR|- [--by pod|workload|namespace|tenant] [-o FORMAT] [--focus SEL] [--port 80/TCP] [-n NS | -A]",
		Short: "Compute the reachability matrix: who can connect to whom, per protocol and port",
		Long: `matrix computes, for every ordered pair of endpoints (pods, or workloads
standing in for their pods) and every port atom, whether a connection can
be opened, and shows it per pod or grouped by workload, namespace or
tenant (--by). External address ranges cut from the policies' CIDRs appear
as entries of their own.

A grouped view says, for every ordered pair of groups, which connections
every pair of their members can open, and which only some pairs can
(partial, with the number of pairs). A pod and itself is not a pair.

Output formats:
  table    (default with --by pod) rows are sources, columns destinations,
           one code per cell for what the row can open to the column, a
           key for the codes and a legend for the names; fits $COLUMNS
           (default 120), else the list is written with a note
  wide     table with the external address ranges
  list     (default with --by workload, namespace or tenant) one line per
           pair of groups that can connect: SRC => DST : CONNECTIONS
  csv      --by pod: source,destination,protocol,port,allowed per port
           atom (stable), with --layers also network,mesh: the verdict of
           each layer; grouped: source,destination,connections,partial
  json     --by pod: the ReachabilityMatrix document; grouped: the
           ConnectionList document (apiVersion netreach.io/v1alpha1)
  dot      Graphviz, namespaces (and tenants) as clusters
  mermaid  a Mermaid flowchart
  svg      a standalone SVG picture, drawn without Graphviz
  summary  sizes and timings of the computation

An output above 10 million rows or 1 GB is refused (exit 2) before
anything is written, with its size: narrow it with --by, --focus, --port
or --connection, or pass --force.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runMatrix(c.Context(), e, f) },
	}
	f.in.register(c)
	f.view.register(c)
	c.Flags().StringVarP(&f.output, "output", "o", "", "output format: table, wide, list, csv, json, dot, mermaid, svg or summary (default table with --by pod, list otherwise)")
	c.Flags().StringVar(&f.port, "port", "", "only this port, as NUMBER/PROTOCOL (80/TCP) or a protocol without ports (ICMP)")
	c.Flags().StringSliceVarP(&f.namespaces, "namespace", "n", nil, "only endpoints of these namespaces (repeatable)")
	c.Flags().BoolVarP(&f.all, "all-namespaces", "A", false, "every namespace (the default)")
	c.Flags().BoolVar(&f.layers, "layers", false, "csv and json: also give the verdict of each layer (network policy alone, the service mesh alone)")
	return c
}

func runMatrix(ctx context.Context, e *env, f *matrixFlags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	by, err := f.view.groupBy()
	if err != nil {
		return err
	}
	output := f.output
	if output == "" {
		output = "list"
		if by == reachability.ByPod {
			output = "table"
		}
	}
	switch output {
	case "table", "wide", "list", "csv", "json", "dot", "mermaid", "svg", "summary":
	default:
		return usageError("-o %q: expected table, wide, list, csv, json, dot, mermaid, svg or summary", output)
	}
	if f.all && len(f.namespaces) > 0 {
		return usageError("-A and -n cannot be used together")
	}
	if f.layers && (by != reachability.ByPod || output != "csv" && output != "json") {
		return usageError("--layers needs --by pod and -o csv or -o json")
	}
	var port *reachability.Port
	if f.port != "" {
		proto, num, err := parsePortFlag(f.port)
		if err != nil {
			return usageError("--port: %v", err)
		}
		port = &reachability.Port{Protocol: proto, Number: num}
	}
	if _, err := f.view.options(reachability.ScopeAllProtocols, "", nil); err != nil {
		return err // flag errors before any work
	}
	prog := newProgress(e.stderr, f.view.progress)
	defer prog.end()
	prog.phase("loading", 0)
	t0 := time.Now()
	snap, opts, err := f.in.load(e)
	if err != nil {
		return err
	}
	loadTime := time.Since(t0)
	warnEmptyInput(e, f.in.quiet, snap)
	warnMissingNamespaces(e, f.in.quiet, snap, f.namespaces)
	opts.Progress = prog.phase("computing", 0)
	m, err := f.in.compute(ctx, e, snap, opts)
	if err != nil {
		return err
	}
	if output == "summary" {
		prog.end()
		return writeSummary(e.stdout, m, loadTime)
	}
	if by == reachability.ByPod && (output == "csv" || output == "json") {
		return writeMatrix(ctx, e, f, m, output, port, prog)
	}
	gopts, err := f.view.options(m.ConnectionScope(), f.port, f.namespaces)
	if err != nil {
		return err
	}
	gopts.NoExternal = output == "table"
	gopts.Progress = prog.phase("writing", 0)
	collectBeforeViews(m)
	v, err := m.Group(gopts)
	if err != nil {
		return usageError("%v", err)
	}
	if err := unmatchedFocus(v.Unmatched()); err != nil {
		return err
	}
	if v.IsEmpty() && !f.in.quiet && len(snap.Endpoints) > 0 && (len(f.namespaces) > 0 || len(gopts.Focus) > 0) {
		fmt.Fprintln(e.stderr, "warning: -n and --focus leave no pair of endpoints in the view: it is empty")
	}
	meta := viewreport.Meta{Options: m.Describe(), View: viewreport.DescribeView(gopts)}
	return groupedOutput(ctx, e, &f.view, v, output, meta)
}

// writeMatrix writes the matrix per pod and port atom, as CSV or as the
// JSON document, after checking its size.
func writeMatrix(ctx context.Context, e *env, f *matrixFlags, m *reachability.Matrix, output string, port *reachability.Port, prog *progress) error {
	v := m.NewView(f.namespaces, true)
	var err error
	if port != nil {
		if v, err = m.WithPort(v, *port); err != nil {
			return usageError("--port: %v", err)
		}
	}
	if len(f.view.connections) > 0 {
		gopts, err := f.view.options(m.ConnectionScope(), "", nil)
		if err != nil {
			return err
		}
		v = m.WithConnections(v, *gopts.Connections)
	}
	if len(f.view.focus) > 0 {
		gopts, err := f.view.options(m.ConnectionScope(), "", nil)
		if err != nil {
			return err
		}
		var unmatched []reachability.Selection
		v, unmatched = m.WithFocus(v, gopts.Focus, gopts.Direction)
		if err := unmatchedFocus(unmatched); err != nil {
			return err
		}
	}
	prog.phase("writing", 0)
	if !f.view.force {
		if err := viewreport.CheckEstimate(matrixSize(m, v, output, len(f.namespaces) > 0 || len(f.view.focus) > 0)); err != nil {
			return &exitError{code: ExitBadData, err: err}
		}
	}
	if f.layers {
		ls, err := m.ComputeLayers(ctx)
		if err != nil {
			return &exitError{code: ExitBadData, err: err}
		}
		if output == "csv" {
			return m.WriteCSVLayers(e.stdout, v, ls)
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(m.JSONLayers(v, ls))
	}
	if output == "csv" {
		return m.WriteCSV(e.stdout, v)
	}
	return m.WriteJSON(e.stdout, v)
}

// matrixSize estimates the rows and bytes of the per-pod outputs: exact
// for CSV (one row per pair and port atom); for JSON, one line per allowed
// pair and port atom, counted on classes when the view is the whole
// matrix, else bounded by every pair.
func matrixSize(m *reachability.Matrix, v reachability.View, output string, filtered bool) (rows, bytes int64, exact bool, hint string) {
	pairs := m.Pairs(v)
	var nameLen int64
	for _, i := range v.Entries {
		nameLen += int64(len(m.Name(i)))
	}
	avg := int64(10)
	if len(v.Entries) > 0 {
		avg = nameLen / int64(len(v.Entries))
	}
	if output == "csv" {
		rows = pairs*int64(len(v.Ports)) + 1
		return rows, rows * (2*avg + 20), true, sizeHint
	}
	if filtered || v.Port != nil {
		rows = pairs * int64(len(v.Ports))
	} else {
		ext := int64(len(v.Entries) - m.NumEndpoints())
		for _, p := range v.Ports {
			rows += m.AllowedPairs(p) + 2*int64(m.NumEndpoints())*ext
		}
	}
	return rows, rows * (avg + 14), false, sizeHint
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
	fmt.Fprintf(tw, "time transpose\t%s (the ingress side turned source-major)\n", st.Transpose.Round(time.Microsecond))
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
