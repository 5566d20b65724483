package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

func init() { registerCommand(newDiffCmd) }

type diffFlags struct {
	in           inputFlags
	view         viewFlags
	apply        []string
	deletes      []string
	against      []string
	staged       bool
	output       string
	failOnChange bool
	maxExamples  int
}

func newDiffCmd(e *env) *cobra.Command {
	f := &diffFlags{in: inputFlags{noStagedFlag: true}}
	c := &cobra.Command{
		Use:   "diff -f CURRENT (--apply CHANGE [--delete kind/ns/name] | --against AFTER | --staged) [--by workload|namespace|tenant] [-o FORMAT]",
		Short: "Show the flows a change opens and closes",
		Long: `diff computes the reachability before and after a change and lists the
flows gained and lost, grouped by namespace pair and port, with counts and
endpoints.

  --apply FILE|DIR     objects replace those of the same kind/namespace/name
                       (or are added), as kubectl apply would
  --delete kind/ns/name  objects to remove (repeatable; kind/name for
                       cluster-scoped kinds)
  --against DIR        compare with another set of manifests
  --staged             compare what Calico enforces with the result of
                       promoting every staged policy

With --by workload, namespace or tenant (or -o list, dot, mermaid or svg)
it compares the grouped views instead, pair of groups by pair of groups:
gained (the pair could open nothing before), lost (nothing after) or
changed, with the connections before and after; graphs draw gained
connections green and lost ones red. --focus, --direction, --connection
and --port narrow both the flow diff and the grouped one.

With --fail-on-change the exit code is 1 when anything changes.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runDiff(c.Context(), e, f) },
	}
	f.in.register(c)
	f.view.register(c)
	c.Flags().StringArrayVar(&f.apply, "apply", nil, "manifests to apply on top of the input (repeatable)")
	c.Flags().StringArrayVar(&f.deletes, "delete", nil, "object to delete, kind/namespace/name (repeatable)")
	c.Flags().StringArrayVar(&f.against, "against", nil, "manifests of the state to compare with (repeatable)")
	c.Flags().BoolVar(&f.staged, "staged", false, "compare enforced policies with every Calico staged policy promoted")
	c.Flags().StringVarP(&f.output, "output", "o", "", "output format: table, json or md; grouped: list, json, md, dot, mermaid or svg (default table, or list with --by)")
	c.Flags().BoolVar(&f.failOnChange, "fail-on-change", false, "exit 1 when any flow is gained or lost")
	c.Flags().IntVar(&f.maxExamples, "max-examples", 10, "endpoint pairs listed per group in table and md output (0: all)")
	return c
}

func runDiff(ctx context.Context, e *env, f *diffFlags) error {
	modes := 0
	if len(f.apply) > 0 || len(f.deletes) > 0 {
		modes++
	}
	if len(f.against) > 0 {
		modes++
	}
	if f.staged {
		modes++
	}
	if modes != 1 {
		return usageError("diff needs exactly one of --apply/--delete, --against or --staged")
	}
	grouped, err := f.grouped()
	if err != nil {
		return err
	}
	before, opts, err := f.in.load(e)
	if err != nil {
		return err
	}
	var after *policy.Snapshot
	afterOpts := opts
	switch {
	case f.staged:
		afterOpts.Staged = policy.StagedPromote
		after = before
	case len(f.against) > 0:
		if after, _, err = f.in.loadPaths(e, f.against); err != nil {
			return err
		}
	default:
		var change *policy.Snapshot
		if len(f.apply) > 0 {
			f.in.hide = func(d policy.Diagnostic) bool {
				return d.Code == policy.CodeUndeclaredNamespace && before.Namespace(d.Value) != nil
			}
			change, _, err = f.in.loadPaths(e, f.apply)
			f.in.hide = nil
			if err != nil {
				return err
			}
		}
		if after, err = before.Apply(change, f.deletes); err != nil {
			return usageError("--%v", err) // "--delete x: ..."
		}
		if err := reportDeleted(e.stderr, before, f.deletes); err != nil {
			return err
		}
	}
	a, err := f.in.compute(ctx, e, before, opts)
	if err != nil {
		return err
	}
	b, err := f.in.compute(ctx, e, after, afterOpts)
	if err != nil {
		return err
	}
	if grouped {
		return runGroupedDiff(ctx, e, f, a, b)
	}
	if err := checkFlowDiffSize(a, b, f.view.force); err != nil {
		return err
	}
	d := reachability.Diff(a, b)
	if d, err = filterDelta(d, a, b, &f.view); err != nil {
		return err
	}
	switch f.output {
	case "json":
		err = writeDiffJSON(e.stdout, a, b, d)
	case "md":
		err = writeDiffMarkdown(e.stdout, a, b, d, f.maxExamples)
	default:
		err = writeDiffTable(e.stdout, a, b, d, f.maxExamples)
	}
	if err != nil {
		return err
	}
	if f.failOnChange && !d.IsEmpty() {
		return &exitError{code: ExitFailed}
	}
	return nil
}

func nsLabel(ns string) string {
	if ns == "" {
		return "(external)"
	}
	return ns
}

func groupTitle(g reachability.ChangeGroup) string {
	port := g.Protocol.String()
	if g.Ports != "" {
		port = g.Ports + "/" + port
	}
	return fmt.Sprintf("%s -> %s on %s", nsLabel(g.SrcNamespace), nsLabel(g.DstNamespace), port)
}

func countFlows(cs []reachability.Change) int { return len(cs) }

func writeDiffTable(w io.Writer, a, b *reachability.Matrix, d reachability.Delta, max int) error {
	fmt.Fprintf(w, "# before: %s\n# after:  %s\n", a.Describe(), b.Describe())
	if d.IsEmpty() {
		fmt.Fprintln(w, "no change: every flow has the same verdict")
		return nil
	}
	for _, part := range []struct {
		title string
		cs    []reachability.Change
	}{{"gained", d.Gained}, {"lost", d.Lost}} {
		if len(part.cs) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s: %d flow%s\n", part.title, countFlows(part.cs), plural(countFlows(part.cs)))
		for _, g := range reachability.Group(part.cs) {
			fmt.Fprintf(w, "  %s: %d\n", groupTitle(g), len(g.Changes))
			for i, c := range g.Changes {
				if max > 0 && i == max {
					fmt.Fprintf(w, "    ... %d more\n", len(g.Changes)-max)
					break
				}
				fmt.Fprintf(w, "    %s -> %s (%s → %s)\n", c.Src, c.Dst, c.Before, c.After)
			}
		}
	}
	writeEndpointsTable(w, d, max)
	return nil
}

func writeDiffMarkdown(w io.Writer, a, b *reachability.Matrix, d reachability.Delta, max int) error {
	fmt.Fprintf(w, "## Reachability change\n\n- before: `%s`\n- after: `%s`\n- gained: %d, lost: %d\n", a.Describe(), b.Describe(), len(d.Gained), len(d.Lost))
	defer writeEndpointsMarkdown(w, d, max)
	for _, part := range []struct {
		title string
		cs    []reachability.Change
	}{{"Gained", d.Gained}, {"Lost", d.Lost}} {
		if len(part.cs) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n### %s\n\n| from | to | port | flows | examples |\n| --- | --- | --- | ---: | --- |\n", part.title)
		for _, g := range reachability.Group(part.cs) {
			var ex []string
			for i, c := range g.Changes {
				if max > 0 && i == max {
					ex = append(ex, "…")
					break
				}
				ex = append(ex, fmt.Sprintf("`%s → %s`", c.Src, c.Dst))
			}
			port := g.Protocol.String()
			if g.Ports != "" {
				port = g.Ports + "/" + port
			}
			fmt.Fprintf(w, "| %s | %s | %s | %d | %s |\n", nsLabel(g.SrcNamespace), nsLabel(g.DstNamespace), port, len(g.Changes), strings.Join(ex, ", "))
		}
	}
	return nil
}

// diffJSON is the JSON form of a diff (apiVersion netreach.io/v1alpha1,
// kind ReachabilityDiff).
type diffJSON struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Before     string          `json:"before"`
	After      string          `json:"after"`
	Gained     []changeGroupJS `json:"gained"`
	Lost       []changeGroupJS `json:"lost"`
	Added      []endpointJS    `json:"addedEndpoints"`
	Removed    []endpointJS    `json:"removedEndpoints"`
}

type changeGroupJS struct {
	From     string     `json:"fromNamespace"`
	To       string     `json:"toNamespace"`
	Protocol string     `json:"protocol"`
	Ports    string     `json:"ports,omitempty"`
	Count    int        `json:"count"`
	Flows    []changeJS `json:"flows"`
}

type changeJS struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Before      string `json:"before"`
	After       string `json:"after"`
}

func writeDiffJSON(w io.Writer, a, b *reachability.Matrix, d reachability.Delta) error {
	conv := func(cs []reachability.Change) []changeGroupJS {
		out := []changeGroupJS{}
		for _, g := range reachability.Group(cs) {
			jg := changeGroupJS{From: g.SrcNamespace, To: g.DstNamespace, Protocol: g.Protocol.String(), Ports: g.Ports, Count: len(g.Changes)}
			for _, c := range g.Changes {
				jg.Flows = append(jg.Flows, changeJS{c.Src, c.Dst, c.Before.String(), c.After.String()})
			}
			out = append(out, jg)
		}
		return out
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(diffJSON{APIVersion: reachability.JSONAPIVersion, Kind: "ReachabilityDiff",
		Before: a.Describe(), After: b.Describe(), Gained: conv(d.Gained), Lost: conv(d.Lost),
		Added: endpointsJSON(d.Added), Removed: endpointsJSON(d.Removed)})
}
