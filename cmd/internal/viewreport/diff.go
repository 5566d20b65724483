package viewreport

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/internal/safetext"
)

// DiffMeta is what a diff's outputs state about how it was made.
type DiffMeta struct {
	Before, After string // Matrix.Describe of each side
	View          string // DescribeView
}

// ChangeKind returns "gained" (the pair could open nothing before),
// "lost" (it can open nothing after) or "changed".
func ChangeKind(c *reachability.GroupChange) string {
	switch {
	case c.Before == nil:
		return "gained"
	case c.After == nil:
		return "lost"
	}
	return "changed"
}

func sideText(p *reachability.GroupPair) string {
	if p == nil {
		return "No Connections"
	}
	return ConnectionsText(p)
}

// WriteDiffList writes the changed pairs of groups, one per line:
// "gained  SRC => DST : CONNECTIONS", "lost    SRC => DST : CONNECTIONS"
// or "changed SRC => DST : BEFORE → AFTER", after header lines naming
// both sides. It returns the number of changes.
func WriteDiffList(ctx context.Context, w io.Writer, d *reachability.GroupDiff, meta DiffMeta) (int, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintf(bw, "# before: %s\n# after:  %s\n# %s\n", meta.Before, meta.After, meta.View)
	n := 0
	err := d.Walk(ctx, func(c *reachability.GroupChange) error {
		n++
		kind := ChangeKind(c)
		fmt.Fprintf(bw, "%-7s %s => %s : ", kind, safetext.Line(c.Src.Label()), safetext.Line(c.Dst.Label()))
		switch kind {
		case "gained":
			bw.WriteString(sideText(c.After))
		case "lost":
			bw.WriteString(sideText(c.Before))
		default:
			bw.WriteString(sideText(c.Before) + " → " + sideText(c.After))
		}
		return bw.WriteByte('\n')
	})
	if err != nil {
		return n, err
	}
	if n == 0 {
		bw.WriteString("no change: every pair of groups can open the same connections\n")
	}
	return n, bw.Flush()
}

// WriteDiffMarkdown writes the changed pairs of groups as a Markdown
// table.
func WriteDiffMarkdown(ctx context.Context, w io.Writer, d *reachability.GroupDiff, meta DiffMeta) (int, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintf(bw, "## Reachability change\n\n- before: `%s`\n- after: `%s`\n- view: `%s`\n\n", meta.Before, meta.After, meta.View)
	cell := func(s string) string {
		return strings.NewReplacer("|", `\|`, "`", "'", "<", "&lt;", ">", "&gt;").Replace(safetext.Line(s))
	}
	n := 0
	err := d.Walk(ctx, func(c *reachability.GroupChange) error {
		if n == 0 {
			bw.WriteString("| change | source | destination | before | after |\n| --- | --- | --- | --- | --- |\n")
		}
		n++
		_, err := fmt.Fprintf(bw, "| %s | %s | %s | %s | %s |\n", ChangeKind(c), cell(c.Src.Label()), cell(c.Dst.Label()), cell(sideText(c.Before)), cell(sideText(c.After)))
		return err
	})
	if err != nil {
		return n, err
	}
	if n == 0 {
		bw.WriteString("No change: every pair of groups can open the same connections.\n")
	}
	return n, bw.Flush()
}

type changeJSON struct {
	Change      string `json:"change"`
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Before      string `json:"before"`
	After       string `json:"after"`
	Gained      string `json:"gained,omitempty"`
	Lost        string `json:"lost,omitempty"`
}

// WriteDiffJSON writes the changed pairs of groups as a JSON document
// (apiVersion netreach.io/v1alpha1, kind ConnectionListDiff), one change
// per line, streamed.
func WriteDiffJSON(ctx context.Context, w io.Writer, d *reachability.GroupDiff, meta DiffMeta) (int, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := func(x any) []byte {
		b, _ := json.Marshal(x) // strings only: cannot fail
		return b
	}
	fmt.Fprintf(bw, "{\n  \"apiVersion\": %s,\n  \"kind\": \"ConnectionListDiff\",\n  \"before\": %s,\n  \"after\": %s,\n  \"view\": %s,\n  \"changes\": [",
		enc(reachability.JSONAPIVersion), enc(meta.Before), enc(meta.After), enc(meta.View))
	n := 0
	err := d.Walk(ctx, func(c *reachability.GroupChange) error {
		j := changeJSON{Change: ChangeKind(c), Source: c.Src.Label(), Destination: c.Dst.Label(), Before: sideText(c.Before), After: sideText(c.After)}
		if g := c.Gained(); !g.IsEmpty() {
			j.Gained = g.String()
		}
		if l := c.Lost(); !l.IsEmpty() {
			j.Lost = l.String()
		}
		if n > 0 {
			bw.WriteByte(',')
		}
		n++
		bw.WriteString("\n    ")
		_, err := bw.Write(enc(j))
		return err
	})
	if err != nil {
		return n, err
	}
	bw.WriteString("\n  ]\n}\n")
	return n, bw.Flush()
}

// NewDiffGraph collects the changed pairs of groups into a Graph: gained
// connections as green edges ("+ TCP 80"), lost ones as red dashed edges
// ("− TCP 80"), and pairs whose connections changed only in how many
// pairs hold them as orange edges ("before → after"). Only the groups with
// some change are drawn; external ranges are merged once for the whole
// drawing. It fails above maxChanges changes.
func NewDiffGraph(ctx context.Context, d *reachability.GroupDiff, by reachability.GroupBy, title string, maxChanges int) (*Graph, int, error) {
	cg, err := d.Graph(ctx, maxChanges)
	if err != nil {
		return nil, 0, err
	}
	g := &Graph{Title: title, By: by, Nodes: cg.Nodes}
	for i := range cg.Changes {
		e := &cg.Changes[i]
		c := &e.Change
		gained, lost := c.Gained(), c.Lost()
		if !gained.IsEmpty() {
			g.Edges = append(g.Edges, Edge{Src: e.Src, Dst: e.Dst, Label: "+ " + gained.String(), Kind: EdgeGained})
		}
		if !lost.IsEmpty() {
			g.Edges = append(g.Edges, Edge{Src: e.Src, Dst: e.Dst, Label: "− " + lost.String(), Kind: EdgeLost})
		}
		if gained.IsEmpty() && lost.IsEmpty() {
			g.Edges = append(g.Edges, Edge{Src: e.Src, Dst: e.Dst, Label: sideText(c.Before) + " → " + sideText(c.After), Kind: EdgeChanged})
		}
	}
	return g, len(cg.Changes), nil
}
