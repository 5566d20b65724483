package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netreach/netreach/internal/access"
	"github.com/netreach/netreach/internal/exposure"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/internal/safetext"
)

func init() { registerCommand(newExposureCmd) }

// ExposureRow is one line of `netreach exposure`: a subject (a workload or
// pod of the input), a direction, a peer beyond the input's endpoints and
// the connections. Every kind of exposure produces rows of this shape.
type ExposureRow struct {
	// Kind is the exposure kind that produced the row ("hypothetical",
	// "addresses", …).
	Kind string `json:"kind"`
	// Subject is "namespace/name[Kind]": a workload, or a pod ("[Pod]").
	Subject string `json:"subject"`
	// Endpoints are the input endpoints the row is about.
	Endpoints []string `json:"endpoints"`
	// Direction is "ingress" (the peer connects to the subject) or
	// "egress" (the subject connects to the peer).
	Direction string `json:"direction"`
	// Peer describes the peer for people.
	Peer string `json:"peer"`
	// Connections is the text of the connections ("TCP 80; UDP 53").
	Connections string `json:"connections"`
	// EntireCluster is true when every pod that could be created is a
	// peer.
	EntireCluster bool `json:"entireCluster,omitempty"`
	// Detail is the kind's structured form of the peer.
	Detail any `json:"detail,omitempty"`
}

// exposureInput is what every exposure kind gets.
type exposureInput struct {
	snap       *policy.Snapshot
	opts       reachability.Options
	namespaces []string
	ownOnly    bool
	in         *inputFlags
	// describe is filled by the first kind that knows the options it used;
	// notes are what kinds want said before the rows.
	describe string
	notes    []string
	rep      *exposure.Report
}

// exposureKind is one kind of exposure entry: a name for --kind, a
// description for --help, and the function that lists its rows. Kinds
// register themselves with registerExposureKind from their own files.
type exposureKind struct {
	name, help string
	rows       func(ctx context.Context, e *env, in *exposureInput) ([]ExposureRow, error)
}

var exposureKinds []exposureKind

func registerExposureKind(k exposureKind) { exposureKinds = append(exposureKinds, k) }

func init() {
	registerExposureKind(exposureKind{name: "hypothetical", help: "pods that do not exist yet, in any namespace, with any labels (docs/exposure.md)", rows: hypotheticalRows})
	registerExposureKind(exposureKind{name: "addresses", help: "address ranges outside the cluster's endpoints that policies admit", rows: addressRows})
	registerExposureKind(exposureKind{name: "outside", help: "what the internet and the ingress controllers reach through Services, Ingress, Gateway API routes and Routes (docs/exposure-outside.md)", rows: outsideRows})
}

// accessMatrix computes the matrix with the access entries ({internet},
// {ingress-controller}, Services) and returns it with the access options.
func (f *inputFlags) accessMatrix(ctx context.Context, e *env, snap *policy.Snapshot, opts reachability.Options) (*reachability.Matrix, access.Options, error) {
	m, err := f.compute(ctx, e, snap, opts)
	if err != nil {
		return nil, access.Options{}, err
	}
	aopts, err := f.access.options()
	return m, aopts, err
}

// outsideRows lists what reaches workloads from outside the cluster
// (package access) as rows: "app/web[Pod] <= {internet} : TCP 8080",
// with the ways in as detail.
func outsideRows(ctx context.Context, e *env, in *exposureInput) ([]ExposureRow, error) {
	m, aopts, err := in.in.accessMatrix(ctx, e, in.snap, in.opts)
	if err != nil {
		return nil, err
	}
	var rows []ExposureRow
	for _, x := range access.OutsideExposure(m, aopts) {
		if in.namespaces != nil && !slices.Contains(in.namespaces, x.Namespace) {
			continue
		}
		subject := x.To
		if !strings.HasSuffix(subject, "]") {
			subject += "[" + x.Kind + "]"
		}
		rows = append(rows, ExposureRow{Kind: "outside", Subject: subject, Endpoints: []string{x.To}, Direction: "ingress",
			Peer: x.From, Connections: exposedConnections(x), Detail: x.Via})
	}
	return rows, nil
}

type exposureFlags struct {
	in         inputFlags
	output     string
	kinds      []string
	namespaces []string
	ownOnly    bool
}

func newExposureCmd(e *env) *cobra.Command {
	f := &exposureFlags{}
	var kinds []string
	for _, k := range exposureKinds {
		kinds = append(kinds, fmt.Sprintf("  %-13s %s", k.name, k.help))
	}
	c := &cobra.Command{
		Use:   "exposure -f FILE|DIR|- [-o list|csv|json|md] [--kind all|" + kindNames() + "] [-n NS]",
		Short: "List what the policies admit beyond the input's endpoints: pods that do not exist yet, address ranges",
		Long: `exposure lists, for every workload and direction, the peers the policies
admit beyond the endpoints of the input, each with its connections:

  ns/web[Deployment] <= entire cluster : TCP 8080
  ns/web[Deployment] <= any pod in namespaces matching {team=x} : TCP 80
  ns/web[Deployment] => pods matching {app=db} in namespace data : TCP 5432
  ns/web[Deployment] => 0.0.0.0/0 except … : All Connections

"<=" is ingress (the peer connects to the workload), "=>" egress. The sets
of hypothetical pods are exact: a pod created with any labels, in any
namespace (an existing one, or a new one with any labels), gets exactly the
connections of the line that describes it — both ends' policies count: the
workload's, and those that would select the new pod. --own-policies-only
describes what the workload's own policies admit instead. docs/exposure.md
documents the model.

Kinds (--kind, comma-separated, default all):
` + strings.Join(kinds, "\n") + `

Output formats:
  list   one line per entry (default)
  csv    kind,subject,direction,peer,connections
  json   apiVersion netreach.io/v1alpha1, kind ExposureReport
  md     Markdown table`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runExposure(c.Context(), e, f) },
	}
	f.in.register(c)
	fl := c.Flags()
	fl.StringVarP(&f.output, "output", "o", "list", "output format: list, csv, json or md")
	fl.StringSliceVar(&f.kinds, "kind", []string{"all"}, "kinds of exposure: all, "+kindNames())
	fl.StringSliceVarP(&f.namespaces, "namespace", "n", nil, "only workloads of these namespaces (repeatable)")
	fl.BoolVar(&f.ownOnly, "own-policies-only", false, "describe what each workload's own policies admit, ignoring the policies that would select the peer (np-guard's reading; may overstate)")
	return c
}

func kindNames() string {
	var names []string
	for _, k := range exposureKinds {
		names = append(names, k.name)
	}
	return strings.Join(names, "|")
}

func runExposure(ctx context.Context, e *env, f *exposureFlags) error {
	switch f.output {
	case "list", "csv", "json", "md":
	default:
		return usageError("-o %q: expected list, csv, json or md", f.output)
	}
	var selected []exposureKind
	for _, name := range f.kinds {
		if name == "all" {
			selected = exposureKinds
			break
		}
		i := slices.IndexFunc(exposureKinds, func(k exposureKind) bool { return k.name == name })
		if i < 0 {
			return usageError("--kind %q: expected all or one of %s", name, strings.ReplaceAll(kindNames(), "|", ", "))
		}
		if !slices.ContainsFunc(selected, func(k exposureKind) bool { return k.name == name }) {
			selected = append(selected, exposureKinds[i])
		}
	}
	snap, opts, err := f.in.load(e)
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if len(selected) == 1 && selected[0].name == "outside" && len(f.namespaces) == 0 {
		// Alone, the outside kind keeps its own report (docs/exposure-outside.md).
		m, aopts, err := f.in.accessMatrix(ctx, e, snap, opts)
		if err != nil {
			return err
		}
		return writeOutsideExposure(e.stdout, m, aopts, f.output)
	}
	in := &exposureInput{snap: snap, opts: opts, namespaces: f.namespaces, ownOnly: f.ownOnly, in: &f.in}
	var rows []ExposureRow
	for _, k := range selected {
		rs, err := k.rows(ctx, e, in)
		if err != nil {
			return err
		}
		rows = append(rows, rs...)
	}
	if in.describe == "" {
		in.describe = opts.Describe(opts.Mode.Resolve(snap))
	}
	slices.SortStableFunc(rows, func(a, b ExposureRow) int {
		if c := strings.Compare(a.Subject, b.Subject); c != 0 {
			return c
		}
		if a.Direction != b.Direction {
			return strings.Compare(b.Direction, a.Direction) // ingress first
		}
		if a.Kind != b.Kind {
			return kindOrder(a.Kind) - kindOrder(b.Kind)
		}
		return strings.Compare(a.Peer, b.Peer)
	})
	switch f.output {
	case "csv":
		return writeExposureCSV(e.stdout, rows)
	case "json":
		return writeExposureJSON(e.stdout, in, rows)
	case "md":
		return writeExposureMarkdown(e.stdout, in, rows)
	}
	return writeExposureList(e.stdout, in, rows)
}

func kindOrder(k string) int {
	return slices.IndexFunc(exposureKinds, func(x exposureKind) bool { return x.name == k })
}

// report runs the exposure analysis once for the kinds of this file.
func (in *exposureInput) report(ctx context.Context) (*exposure.Report, error) {
	if in.rep != nil {
		return in.rep, nil
	}
	an, err := exposure.Analyze(ctx, in.snap, exposure.Options{Reach: in.opts, OwnSideOnly: in.ownOnly})
	if err != nil {
		return nil, &exitError{code: ExitBadData, err: err}
	}
	in.describe = an.Describe()
	if an.MeshIgnored() {
		in.notes = append(in.notes, "the service-mesh layer (Istio AuthorizationPolicy, mTLS) is not modelled: hypothetical pods and address ranges are described under network policy alone")
	}
	if in.rep, err = an.Report(ctx, exposure.ReportOptions{Namespaces: in.namespaces}); err != nil {
		return nil, &exitError{code: ExitBadData, err: err}
	}
	return in.rep, nil
}

func hypotheticalRows(ctx context.Context, e *env, in *exposureInput) ([]ExposureRow, error) {
	return entryRows(ctx, e, in, "hypothetical", func(en *exposure.Entry) bool { return en.Terms != nil })
}

func addressRows(ctx context.Context, e *env, in *exposureInput) ([]ExposureRow, error) {
	return entryRows(ctx, e, in, "addresses", func(en *exposure.Entry) bool { return en.Addresses != nil })
}

// entryRows turns the report's entries into rows, one per subject.
func entryRows(ctx context.Context, e *env, in *exposureInput, kind string, keep func(*exposure.Entry) bool) ([]ExposureRow, error) {
	rep, err := in.report(ctx)
	if err != nil {
		return nil, err
	}
	var rows []ExposureRow
	for i := range rep.Entries {
		en := &rep.Entries[i]
		if !keep(en) {
			continue
		}
		var detail any = en.Terms
		if en.Addresses != nil {
			detail = en.Addresses
		}
		for _, sub := range subjects(in.snap, en.Endpoints) {
			rows = append(rows, ExposureRow{Kind: kind, Subject: sub.name, Endpoints: sub.endpoints,
				Direction: en.Direction.String(), Peer: en.Peer(), Connections: en.ConnectionsText(),
				EntireCluster: en.IsEntireCluster(), Detail: detail})
		}
	}
	return rows, nil
}

type subject struct {
	name      string
	endpoints []string
}

// subjects names the endpoints of an entry: a workload whose endpoints
// are all in the entry as "ns/name[Kind]", any other endpoint as
// "ns/name[Pod]".
func subjects(snap *policy.Snapshot, ids []string) []subject {
	in := map[string]bool{}
	for _, id := range ids {
		in[id] = true
	}
	byWorkload := map[string][]string{}
	for _, ep := range snap.Endpoints {
		if ep.Workload != "" {
			k := ep.Namespace + "/" + ep.Workload
			byWorkload[k] = append(byWorkload[k], ep.ID())
		}
	}
	var out []subject
	done := map[string]bool{}
	for _, ep := range snap.Endpoints {
		if !in[ep.ID()] {
			continue
		}
		if ep.Workload != "" {
			k := ep.Namespace + "/" + ep.Workload
			all := byWorkload[k]
			if !slices.ContainsFunc(all, func(id string) bool { return !in[id] }) {
				if !done[k] {
					done[k] = true
					kind, name, _ := strings.Cut(ep.Workload, "/")
					out = append(out, subject{name: ep.Namespace + "/" + name + "[" + kind + "]", endpoints: all})
				}
				continue
			}
		}
		out = append(out, subject{name: ep.ID() + "[Pod]", endpoints: []string{ep.ID()}})
	}
	return out
}

func arrow(direction string) string {
	if direction == "egress" {
		return "=>"
	}
	return "<="
}

func writeExposureList(w io.Writer, in *exposureInput, rows []ExposureRow) error {
	fmt.Fprintf(w, "# %s\n", in.describe)
	for _, n := range in.notes {
		fmt.Fprintf(w, "# note: %s\n", safetext.Line(n))
	}
	for _, r := range rows {
		if _, err := fmt.Fprintf(w, "%s %s %s : %s\n", safetext.Line(r.Subject), arrow(r.Direction), safetext.Line(r.Peer), safetext.Line(r.Connections)); err != nil {
			return err
		}
		if via, ok := r.Detail.([]string); ok {
			for _, v := range via {
				fmt.Fprintf(w, "    via %s\n", safetext.Line(v))
			}
		}
	}
	return nil
}

func writeExposureCSV(w io.Writer, rows []ExposureRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"kind", "subject", "direction", "peer", "connections"}); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write([]string{r.Kind, safetext.Line(r.Subject), r.Direction, safetext.Line(r.Peer), r.Connections}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func writeExposureJSON(w io.Writer, in *exposureInput, rows []ExposureRow) error {
	doc := struct {
		APIVersion string        `json:"apiVersion"`
		Kind       string        `json:"kind"`
		Options    string        `json:"options"`
		Notes      []string      `json:"notes,omitempty"`
		Entries    []ExposureRow `json:"entries"`
	}{"netreach.io/v1alpha1", "ExposureReport", in.describe, in.notes, rows}
	if doc.Entries == nil {
		doc.Entries = []ExposureRow{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func writeExposureMarkdown(w io.Writer, in *exposureInput, rows []ExposureRow) error {
	fmt.Fprintf(w, "# Exposure\n\n`%s`\n\n", in.describe)
	for _, n := range in.notes {
		fmt.Fprintf(w, "- %s\n", mdCell(n))
	}
	fmt.Fprintln(w, "| subject | direction | peer | connections |")
	fmt.Fprintln(w, "| --- | --- | --- | --- |")
	for _, r := range rows {
		if _, err := fmt.Fprintf(w, "| %s | %s | %s | %s |\n", mdCell(r.Subject), r.Direction, mdCell(r.Peer), mdCell(r.Connections)); err != nil {
			return err
		}
	}
	return nil
}
