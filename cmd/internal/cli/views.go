package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/netreach/netreach/cmd/internal/viewreport"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/internal/safetext"
)

// viewFlags are the flags of the commands that show grouped views of a
// matrix (matrix, diff, explain --all): grouping, focus, connections, and
// the guards of large outputs.
type viewFlags struct {
	by          string
	tenantLabel string
	focus       []string
	direction   string
	connections []string
	force       bool
	progress    bool
}

func (f *viewFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.by, "by", "pod", "group endpoints by pod, workload, namespace or tenant")
	fl.StringVar(&f.tenantLabel, "tenant-label", reachability.DefaultTenantLabel, "namespace label whose value names the tenant (--by tenant)")
	fl.StringArrayVar(&f.focus, "focus", nil, "only flows from or to these: ns/workload, ns/pod, ns/*, a pod label selector (app=web) or a CIDR; repeatable")
	fl.StringVar(&f.direction, "direction", "both", "with --focus: flows to the focus (ingress), from it (egress) or both")
	fl.StringArrayVar(&f.connections, "connection", nil, `only these connections: "TCP 80,443; UDP 53", 53/UDP, 8000-8100/TCP or a protocol; repeatable`)
	registerForce(fl, &f.force)
	fl.BoolVar(&f.progress, "progress", false, "show progress on stderr even when it is not a terminal")
}

// registerForce adds --force, which writes an output even above the size
// limits of viewreport.
func registerForce(fl *pflag.FlagSet, force *bool) {
	fl.BoolVar(force, "force", false, "write an output even above the size limits (10 million rows or 1 GB)")
}

// groupBy parses --by.
func (f *viewFlags) groupBy() (reachability.GroupBy, error) {
	by, err := reachability.ParseGroupBy(f.by)
	if err != nil {
		return 0, usageError("--by %q: expected pod, workload, namespace or tenant", f.by)
	}
	return by, nil
}

// options builds the grouped view's options: grouping, focus, direction,
// connections (--connection, and --port when given), namespaces.
func (f *viewFlags) options(scope reachability.Scope, port string, namespaces []string) (reachability.GroupOptions, error) {
	var o reachability.GroupOptions
	by, err := f.groupBy()
	if err != nil {
		return o, err
	}
	o.By, o.TenantLabel, o.Namespaces = by, f.tenantLabel, namespaces
	if f.tenantLabel == "" {
		return o, usageError("--tenant-label: empty")
	}
	if o.Direction, err = reachability.ParseFocusDirection(f.direction); err != nil {
		return o, usageError("--direction %q: expected ingress, egress or both", f.direction)
	}
	if f.direction != "both" && len(f.focus) == 0 {
		return o, usageError("--direction needs --focus")
	}
	for _, s := range f.focus {
		sel, err := reachability.ParseSelection(s)
		if err != nil {
			return o, usageError("--focus: %v", err)
		}
		o.Focus = append(o.Focus, sel)
	}
	texts := f.connections
	if port != "" {
		texts = append(texts, port)
	}
	if len(texts) > 0 {
		c := reachability.NoConnections(scope)
		for _, t := range texts {
			x, err := parseConnectionFlag(t, scope)
			if err != nil {
				return o, usageError("--connection: %v", err)
			}
			c = c.Union(x)
		}
		o.Connections = &c
	}
	return o, nil
}

// parseConnectionFlag reads "TCP 80,443; UDP 53", "53/UDP", "80" (TCP),
// "8000-8100/TCP", or a protocol alone ("UDP", "ICMP").
func parseConnectionFlag(s string, scope reachability.Scope) (reachability.Connections, error) {
	text := strings.TrimSpace(s)
	if num, proto, ok := strings.Cut(text, "/"); ok || strings.Trim(text, "0123456789-") == "" {
		if !ok {
			proto = "TCP"
		}
		p, err := policy.ParseProtocol(proto)
		if err != nil {
			return reachability.Connections{}, fmt.Errorf("%q: %v", s, err)
		}
		if !p.HasPorts() {
			return reachability.Connections{}, fmt.Errorf("%q: %s has no ports", s, p)
		}
		lo, hi, isRange := strings.Cut(num, "-")
		if !isRange {
			hi = lo
		}
		a, err1 := strconv.ParseUint(lo, 10, 16)
		b, err2 := strconv.ParseUint(hi, 10, 16)
		if err1 != nil || err2 != nil || a == 0 || b < a {
			return reachability.Connections{}, fmt.Errorf("%q: expected PORT/PROTOCOL or FIRST-LAST/PROTOCOL with ports 1-65535, such as 53/UDP", s)
		}
		return reachability.NoConnections(scope).WithPorts(p, uint16(a), uint16(b)), nil
	}
	return reachability.ParseConnections(text, scope)
}

// sizeHint names the ways out of a refused output.
const sizeHint = "narrow it with --by workload (or namespace, tenant), --focus, --port or --connection, or write it anyway with --force"

// writeGuarded writes an output through a spool that measures it first,
// unless force: an output above the limits is refused (exit 2) with its
// size, and nothing is written.
func writeGuarded(e *env, force bool, write func(io.Writer) error) error {
	if force {
		return write(e.stdout)
	}
	sp := viewreport.NewSpool(sizeHint)
	defer sp.Close()
	if err := sp.Err(write(sp)); err != nil {
		var tl *viewreport.TooLargeError
		if errors.As(err, &tl) {
			return &exitError{code: ExitBadData, err: err}
		}
		return err
	}
	return sp.CopyTo(e.stdout)
}

// terminalWidth returns $COLUMNS, or the default table width.
func terminalWidth() int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return viewreport.DefaultWidth
}

// warnEmptyInput says why an answer will be empty: no object at all in
// the input, or policies without any pod or workload.
func warnEmptyInput(e *env, quiet bool, snap *policy.Snapshot) {
	if quiet || len(snap.Endpoints) > 0 {
		return
	}
	policies := len(snap.NetworkPolicies) + len(snap.Admin.Policies) + len(snap.Calico.Policies) + len(snap.Calico.StagedKubernetes)
	declared := 0
	for _, ns := range snap.Namespaces {
		if !ns.Synthesized {
			declared++
		}
	}
	switch {
	case policies > 0:
		fmt.Fprintf(e.stderr, "warning: the input has %d polic%s but no pod or workload, so no endpoint can connect to another: give the pods (kubectl get pods,deployments,statefulsets,daemonsets -A -o yaml) with the policies\n",
			policies, map[bool]string{true: "y", false: "ies"}[policies == 1])
	case declared == 0 && len(snap.Services) == 0 && len(snap.Skipped) == 0:
		fmt.Fprintln(e.stderr, "warning: the input holds no Kubernetes object (empty files or stdin): every answer is empty")
	default:
		fmt.Fprintln(e.stderr, "warning: the input has no pod or workload: every answer is empty")
	}
}

// warnMissingNamespaces says which -n namespaces select nothing.
func warnMissingNamespaces(e *env, quiet bool, snap *policy.Snapshot, namespaces []string) {
	if quiet {
		return
	}
	for _, ns := range namespaces {
		has := false
		for _, ep := range snap.Endpoints {
			if ep.Namespace == ns {
				has = true
				break
			}
		}
		switch {
		case snap.Namespace(ns) == nil:
			fmt.Fprintf(e.stderr, "warning: -n %s: no namespace %s in the input, so it adds nothing to the view\n", safetext.Line(ns), safetext.Line(ns))
		case !has:
			fmt.Fprintf(e.stderr, "warning: -n %s: namespace %s has no pod or workload, so it adds nothing to the view\n", safetext.Line(ns), safetext.Line(ns))
		}
	}
}

// unmatchedFocus fails (exit 2) when a --focus selection picks nothing.
func unmatchedFocus(sels []reachability.Selection) error {
	if len(sels) == 0 {
		return nil
	}
	var names []string
	for _, s := range sels {
		names = append(names, strconv.Quote(safetext.Line(s.String())))
	}
	return usageError("--focus %s matches no endpoint or address of the view: the answer would be empty", strings.Join(names, ", "))
}

// groupedOutput writes a grouped view in a format: list, csv, json, table,
// wide, dot, mermaid or svg.
func groupedOutput(ctx context.Context, e *env, vf *viewFlags, v *reachability.GroupedView, format string, meta viewreport.Meta) error {
	opts := v.Options()
	if !vf.force && format != "table" && format != "wide" && !surelySmall(v) {
		// Refuse at once what is sure to be too large: a lower bound of
		// the lines found on the base port atom's rows alone, estimated
		// from a sample of the source groups (twice over the limits, to
		// be sure); what passes is still measured exactly below.
		lines, bytes, exact, err := v.EstimateLines(ctx, 1000)
		if err != nil {
			return err
		}
		factor := int64(2)
		if exact {
			factor = 1
		}
		if lines > factor*viewreport.MaxRows || bytes > factor*viewreport.MaxBytes {
			return &exitError{code: ExitBadData, err: &viewreport.TooLargeError{Rows: lines, Bytes: bytes, AtLeast: exact, Hint: sizeHint}}
		}
	}
	switch format {
	case "list":
		return writeGuarded(e, vf.force, func(w io.Writer) error { return viewreport.WriteList(ctx, w, v, meta) })
	case "csv":
		return writeGuarded(e, vf.force, func(w io.Writer) error { return viewreport.WriteCSV(ctx, w, v) })
	case "json":
		return writeGuarded(e, vf.force, func(w io.Writer) error { return viewreport.WriteJSON(ctx, w, v, meta) })
	case "table", "wide":
		width := terminalWidth()
		if !viewreport.TableFits(v.NumEndpointGroups(), width) {
			return writeListInstead(ctx, e, vf, v, meta, fmt.Sprintf("a table of %d columns cannot fit in %d columns ($COLUMNS)", v.NumEndpointGroups(), width))
		}
		g, err := v.Graph(ctx, 0)
		if err != nil {
			return err
		}
		ok, err := viewreport.WriteTable(e.stdout, g, opts.By, meta, width)
		if err != nil || ok {
			return err
		}
		return writeListInstead(ctx, e, vf, v, meta, fmt.Sprintf("a table of %d columns cannot fit in %d columns ($COLUMNS)", len(g.Nodes), width))
	case "dot", "mermaid", "svg":
		if format == "svg" && v.NumEndpointGroups() > viewreport.MaxSVGNodes {
			return &exitError{code: ExitBadData, err: fmt.Errorf("the drawing would have %d nodes, more than %d: narrow it with --by namespace or tenant, --focus or -n", v.NumEndpointGroups(), viewreport.MaxSVGNodes)}
		}
		g, err := v.Graph(ctx, viewreport.MaxGraphEdges)
		if err != nil {
			return &exitError{code: ExitBadData, err: fmt.Errorf("%v; %s", err, sizeHint)}
		}
		gr := viewreport.NewGraph(g, opts.By, meta)
		return writeGuarded(e, vf.force, func(w io.Writer) error {
			switch format {
			case "dot":
				return viewreport.WriteDot(w, gr)
			case "mermaid":
				return viewreport.WriteMermaid(w, gr)
			}
			return viewreport.WriteSVG(w, gr)
		})
	}
	return usageError("-o %q: not an output of a grouped view", format)
}

// collectBeforeViews runs the garbage collector between a large
// computation and its grouped view: the view's working set (a transposed
// copy of the base verdicts, the column differences) then reuses what the
// computation left, so the process's peak memory stays the computation's.
// Small matrices skip it: there a collection costs more than it saves.
func collectBeforeViews(m *reachability.Matrix) {
	if m.NumClasses() > 10_000 {
		runtime.GC()
	}
}

// surelySmall reports whether a grouped view cannot exceed the limits:
// few enough pairs of groups even if every pair had a line of the
// longest names and a long list of connections.
func surelySmall(v *reachability.GroupedView) bool {
	n := int64(v.NumGroups())
	longest := 0
	for _, g := range v.Groups() {
		longest = max(longest, len(g.Label()))
	}
	rows := n * n
	return rows <= viewreport.MaxRows && rows*int64(2*longest+200) <= viewreport.MaxBytes
}

// writeListInstead writes the list when a table cannot fit, after a note
// that says why.
func writeListInstead(ctx context.Context, e *env, vf *viewFlags, v *reachability.GroupedView, meta viewreport.Meta, why string) error {
	return writeGuarded(e, vf.force, func(w io.Writer) error {
		if _, err := fmt.Fprintf(w, "# note: %s; writing the list instead (-o list)\n", why); err != nil {
			return err
		}
		return viewreport.WriteList(ctx, w, v, meta)
	})
}
