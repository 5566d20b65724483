package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/netreach/netreach/cmd/internal/viewreport"
	"github.com/netreach/netreach/internal/reachability"
)

// grouped resolves -o and says whether the diff compares grouped views
// (--by other than pod, or a format only they have).
func (f *diffFlags) grouped() (bool, error) {
	by, err := f.view.groupBy()
	if err != nil {
		return false, err
	}
	if f.output == "" {
		f.output = "table"
		if by != reachability.ByPod {
			f.output = "list"
		}
	}
	switch f.output {
	case "table", "json", "md":
		return by != reachability.ByPod, nil
	case "list", "dot", "mermaid", "svg":
		return true, nil
	}
	return false, usageError("-o %q: expected table, json or md; with --by also list, dot, mermaid or svg", f.output)
}

// runGroupedDiff compares the grouped views of the two matrices.
func runGroupedDiff(ctx context.Context, e *env, f *diffFlags, a, b *reachability.Matrix) error {
	if ctx == nil {
		ctx = context.Background()
	}
	scope := max(a.ConnectionScope(), b.ConnectionScope())
	opts, err := f.view.options(scope, "", nil)
	if err != nil {
		return err
	}
	collectBeforeViews(a)
	d, err := reachability.NewGroupDiff(a, b, opts)
	if err != nil {
		return usageError("%v", err)
	}
	if err := unmatchedFocus(d.Unmatched()); err != nil {
		return err
	}
	meta := viewreport.DiffMeta{Before: a.Describe(), After: b.Describe(), View: viewreport.DescribeView(opts)}
	changes := 0
	switch f.output {
	case "dot", "mermaid", "svg":
		title := fmt.Sprintf("# diff %s; before: %s; after: %s", meta.View, meta.Before, meta.After)
		g, n, err := viewreport.NewDiffGraph(ctx, d, opts.By, title, viewreport.MaxGraphEdges)
		if err != nil {
			return &exitError{code: ExitBadData, err: fmt.Errorf("%v; %s", err, sizeHint)}
		}
		changes = n
		err = writeGuarded(e, f.view.force, func(w io.Writer) error {
			switch f.output {
			case "dot":
				return viewreport.WriteDot(w, g)
			case "mermaid":
				return viewreport.WriteMermaid(w, g)
			}
			return viewreport.WriteSVG(w, g)
		})
		if err != nil {
			return err
		}
	default:
		err := writeGuarded(e, f.view.force, func(w io.Writer) error {
			var err error
			switch f.output {
			case "json":
				changes, err = viewreport.WriteDiffJSON(ctx, w, d, meta)
			case "md":
				changes, err = viewreport.WriteDiffMarkdown(ctx, w, d, meta)
			default:
				changes, err = viewreport.WriteDiffList(ctx, w, d, meta)
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	if f.failOnChange && changes > 0 {
		return &exitError{code: ExitFailed}
	}
	return nil
}

// checkFlowDiffSize refuses a flow diff that would compare more flows
// than an output may hold rows: it keeps every changed flow in memory. The
// grouped diff (--by) streams instead.
func checkFlowDiffSize(a, b *reachability.Matrix, force bool) error {
	if force {
		return nil
	}
	entries := int64(a.NumEndpoints() + b.NumEndpoints() + len(a.ExternalAtoms()) + len(b.ExternalAtoms()))
	ports := int64(len(reachability.RefinePorts(a.PortAtoms(), b.PortAtoms())))
	if flows := entries * entries * ports; flows > viewreport.MaxRows {
		return &exitError{code: ExitBadData, err: fmt.Errorf("the flow diff would compare up to %d flows and hold every changed one, above the limit of %d rows; compare groups instead with --by workload (or namespace, tenant), which streams, or run it anyway with --force", flows, viewreport.MaxRows)}
	}
	return nil
}

// filterDelta keeps the flows of a flow diff that the focus and the
// connections select: a flow is kept when its source (egress), its
// destination (ingress) or either (both) is focused, and its ports are
// cut to the connections.
func filterDelta(d reachability.Delta, a, b *reachability.Matrix, vf *viewFlags) (reachability.Delta, error) {
	if len(vf.focus) == 0 && len(vf.connections) == 0 {
		return d, nil
	}
	scope := max(a.ConnectionScope(), b.ConnectionScope())
	opts, err := vf.options(scope, "", nil)
	if err != nil {
		return d, err
	}
	focused := func(name string) bool {
		if len(opts.Focus) == 0 {
			return true
		}
		for _, m := range []*reachability.Matrix{a, b} {
			if i, ok := m.Lookup(name); ok && strings.Contains(name, "/") && !strings.Contains(name, ":") {
				if ep := m.Endpoint(i); ep != nil {
					for _, s := range opts.Focus {
						if s.MatchesEndpoint(ep) {
							return true
						}
					}
				}
			}
		}
		atom, err := reachability.ParseExternalAtom(name)
		if err != nil {
			return false
		}
		r := atom.Range
		for _, s := range opts.Focus {
			if p, ok := s.Prefix(); ok && (p.Contains(r.From()) || p.Contains(r.To()) || r.Contains(p.Addr())) {
				return true
			}
		}
		return false
	}
	matched := map[string]bool{}
	for _, s := range opts.Focus {
		for _, m := range []*reachability.Matrix{a, b} {
			for i := 0; i < m.NumEndpoints(); i++ {
				if s.MatchesEndpoint(m.Endpoint(i)) {
					matched[s.String()] = true
				}
			}
		}
		if _, ok := s.Prefix(); ok {
			matched[s.String()] = true // external addresses always exist
		}
	}
	var unmatched []reachability.Selection
	for _, s := range opts.Focus {
		if !matched[s.String()] {
			unmatched = append(unmatched, s)
		}
	}
	if err := unmatchedFocus(unmatched); err != nil {
		return d, err
	}
	keep := func(cs []reachability.Change) []reachability.Change {
		var out []reachability.Change
		for _, c := range cs {
			var ok bool
			switch opts.Direction {
			case reachability.FocusEgress:
				ok = focused(c.Src)
			case reachability.FocusIngress:
				ok = focused(c.Dst)
			default:
				ok = focused(c.Src) || focused(c.Dst)
			}
			if !ok {
				continue
			}
			out = append(out, cutPorts(c, opts.Connections)...)
		}
		return out
	}
	return reachability.Delta{Gained: keep(d.Gained), Lost: keep(d.Lost)}, nil
}

// cutPorts returns the parts of a change inside the connections (all of
// it when c is nil).
func cutPorts(ch reachability.Change, c *reachability.Connections) []reachability.Change {
	if c == nil {
		return []reachability.Change{ch}
	}
	if !ch.Protocol.HasPorts() {
		if c.Contains(ch.Protocol, 0) {
			return []reachability.Change{ch}
		}
		return nil
	}
	var out []reachability.Change
	for _, r := range c.Ranges() {
		if r.Protocol != ch.Protocol || r.Hi < ch.Lo || r.Lo > ch.Hi {
			continue
		}
		x := ch
		x.Lo, x.Hi = max(ch.Lo, r.Lo), min(ch.Hi, r.Hi)
		out = append(out, x)
	}
	return out
}
