package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/netreach/netreach/cmd/internal/viewreport"
	"github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/internal/safetext"
)

// maxExplainFlows bounds the flows `explain --all` evaluates: each one is
// a walk of the policy objects by the reference evaluator.
const maxExplainFlows = 2_000_000

// runExplainAll explains every pair of groups of a view.
func runExplainAll(ctx context.Context, e *env, f *explainFlags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if f.from != "" || f.to != "" {
		return usageError("--all explains every pair: leave out --from and --to (narrow it with --focus)")
	}
	if f.output != "text" && f.output != "json" {
		return usageError("-o %q: expected text or json", f.output)
	}
	if _, err := f.view.options(reachability.ScopeAllProtocols, "", nil); err != nil {
		return err
	}
	if f.port != "" {
		if _, _, err := parsePortFlag(f.port); err != nil {
			return usageError("--port: %v", err)
		}
	}
	prog := newProgress(e.stderr, f.view.progress)
	defer prog.end()
	prog.phase("loading", 0)
	snap, opts, err := f.in.load(e)
	if err != nil {
		return err
	}
	warnEmptyInput(e, f.in.quiet, snap)
	opts.Progress = prog.phase("computing", 0)
	m, err := f.in.compute(ctx, e, snap, opts)
	if err != nil {
		return err
	}
	gopts, err := f.view.options(m.ConnectionScope(), f.port, nil)
	if err != nil {
		return err
	}
	v, err := m.Group(gopts)
	if err != nil {
		return usageError("%v", err)
	}
	if err := unmatchedFocus(v.Unmatched()); err != nil {
		return err
	}
	if cost := v.ExplainCost(); cost > maxExplainFlows && !f.view.force {
		return &exitError{code: ExitBadData, err: fmt.Errorf("explaining every pair of this view would evaluate up to %d flows, above the limit of %d; narrow it with --focus, --by workload (or namespace, tenant), --port or --connection, or run it anyway with --force", cost, maxExplainFlows)}
	}
	prog.phase("explaining", 0)
	ev := reachability.NewEvaluator(snap, opts)
	meta := viewreport.Meta{Options: m.Describe(), View: viewreport.DescribeView(gopts)}
	return writeGuarded(e, f.view.force, func(w io.Writer) error {
		if f.output == "json" {
			return writeExplainAllJSON(ctx, w, v, ev, meta)
		}
		return writeExplainAllText(ctx, w, v, ev, meta)
	})
}

// pairsText says how many member pairs an outcome holds for.
func pairsText(n, total int64) string {
	if n == total {
		if total == 1 {
			return "the pair"
		}
		return fmt.Sprintf("every pair (%d)", total)
	}
	return fmt.Sprintf("%d of %d pairs", n, total)
}

// sideText describes what decided one side of a flow, on one line.
func sideText(s reachability.SideTrace) string {
	t := fmt.Sprintf("%s at %s: %s — %s", s.Direction, safetext.Line(s.Subject), s.Verdict, s.Decision)
	if s.Decider != nil {
		t = fmt.Sprintf("%s at %s: %s by %s %s rule %d (%s)%s", s.Direction, safetext.Line(s.Subject), s.Verdict,
			safetext.Line(s.Decider.Policy.String()), s.Direction, s.Decider.Index, s.Decider.Action, atText(s.Decider.Source.String()))
	}
	if s.Note != "" {
		t += " (" + safetext.Line(s.Note) + ")"
	}
	return t
}

func atText(loc string) string {
	if loc == "" || loc == ":0:0" || loc == "-" {
		return ""
	}
	return " at " + safetext.Line(loc)
}

func writeExplainAllText(ctx context.Context, w io.Writer, v *reachability.GroupedView, ev *reachability.Evaluator, meta viewreport.Meta) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintln(bw, meta.Header())
	err := v.Explain(ctx, ev, func(ex *reachability.GroupExplanation) error {
		fmt.Fprintf(bw, "\n%s => %s (%d pair%s)\n", safetext.Line(ex.Src.Label()), safetext.Line(ex.Dst.Label()), ex.Pairs, plural(int(min(ex.Pairs, 2))))
		for _, o := range ex.Outcomes {
			fmt.Fprintf(bw, "  %s %s: %s\n", o.Verdict, o.Connections, pairsText(o.Pairs, ex.Pairs))
			if o.Trace.Reason != "" {
				fmt.Fprintf(bw, "    %s\n", safetext.Line(o.Trace.Reason))
			}
			fmt.Fprintf(bw, "    %s\n", sideText(o.Trace.Egress))
			if _, err := fmt.Fprintf(bw, "    %s\n", sideText(o.Trace.Ingress)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

type outcomeJSON struct {
	Verdict     string              `json:"verdict"`
	Connections string              `json:"connections"`
	Pairs       int64               `json:"pairs"`
	Trace       *reachability.Trace `json:"trace"`
}

type explanationJSON struct {
	Source      string        `json:"source"`
	Destination string        `json:"destination"`
	Pairs       int64         `json:"pairs"`
	Outcomes    []outcomeJSON `json:"outcomes"`
}

func writeExplainAllJSON(ctx context.Context, w io.Writer, v *reachability.GroupedView, ev *reachability.Evaluator, meta viewreport.Meta) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := func(x any) ([]byte, error) { return json.Marshal(x) }
	opt, _ := enc(meta.Options)
	view, _ := enc(meta.View)
	fmt.Fprintf(bw, "{\n  \"apiVersion\": %q,\n  \"kind\": \"GroupExplanations\",\n  \"options\": %s,\n  \"view\": %s,\n  \"pairs\": [", reachability.JSONAPIVersion, opt, view)
	first := true
	err := v.Explain(ctx, ev, func(ex *reachability.GroupExplanation) error {
		j := explanationJSON{Source: ex.Src.Label(), Destination: ex.Dst.Label(), Pairs: ex.Pairs}
		for _, o := range ex.Outcomes {
			j.Outcomes = append(j.Outcomes, outcomeJSON{Verdict: o.Verdict.String(), Connections: o.Connections.String(), Pairs: o.Pairs, Trace: o.Trace})
		}
		b, err := enc(j)
		if err != nil {
			return err
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		bw.WriteString("\n    ")
		_, err = bw.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	bw.WriteString("\n  ]\n}\n")
	return bw.Flush()
}
