package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/netreach/netreach/internal/access"
	"github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/internal/safetext"
)

// This file is the "outside the cluster" half of `netreach exposure`:
// what the internet and the ingress controllers reach, through Services,
// Ingress, Gateway API routes and OpenShift Routes (package access). The
// command itself (cmd/internal/cli/exposure.go) calls writeOutsideExposure
// with the matrix of f.in.compute (which already has the access entries)
// and the access options of its input flags (f.in.access.options()).

// outsideFormats are the formats writeOutsideExposure writes.
var outsideFormats = []string{"list", "csv", "json", "md"}

// writeOutsideExposure writes what reaches workloads from outside the
// cluster in format (list, csv, json or md):
//
//	list: {internet} => shop/web : TCP 8080 (conditional: TCP 8443)
//	        via Service shop/web-lb: LoadBalancer 80/TCP → 8080/TCP
func writeOutsideExposure(w io.Writer, m *reachability.Matrix, opts access.Options, format string) error {
	xs := access.OutsideExposure(m, opts)
	switch format {
	case "json":
		return writeOutsideJSON(w, m, xs)
	case "csv":
		return writeOutsideCSV(w, xs)
	case "md":
		return writeOutsideMarkdown(w, m, xs)
	case "list", "":
		return writeOutsideList(w, m, xs)
	}
	return usageError("-o %q: expected one of %s", format, strings.Join(outsideFormats, ", "))
}

// connText is the text form of connections, "" when there are none.
func connText(c reachability.Connections) string {
	if c.IsEmpty() {
		return ""
	}
	return c.String()
}

// exposedConnections is "TCP 8080", "TCP 8080 (conditional: TCP 8443)"
// or "conditional: TCP 8443".
func exposedConnections(x access.Exposed) string {
	a, c := connText(x.Allowed), connText(x.Conditional)
	switch {
	case c == "":
		return a
	case a == "":
		return "conditional: " + c
	}
	return a + " (conditional: " + c + ")"
}

func writeOutsideList(w io.Writer, m *reachability.Matrix, xs []access.Exposed) error {
	fmt.Fprintf(w, "# exposure outside the cluster; %s\n", safetext.Line(m.Describe()))
	if len(xs) == 0 {
		fmt.Fprintln(w, "nothing is reachable from outside the cluster (no Service, Ingress, route or Route leads to a workload)")
		return nil
	}
	for _, x := range xs {
		fmt.Fprintf(w, "%s => %s : %s\n", x.From, safetext.Line(x.To), exposedConnections(x))
		for _, v := range x.Via {
			fmt.Fprintf(w, "    via %s\n", safetext.Line(v))
		}
	}
	return nil
}

func writeOutsideCSV(w io.Writer, xs []access.Exposed) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"from", "to", "kind", "namespace", "allowed", "conditional", "via"})
	for _, x := range xs {
		_ = cw.Write([]string{x.From, x.To, x.Kind, x.Namespace, connText(x.Allowed), connText(x.Conditional), strings.Join(x.Via, "; ")})
	}
	cw.Flush()
	return cw.Error()
}

// mdCell escapes text for a Markdown table cell.
func mdCell(s string) string {
	s = safetext.Line(s)
	return strings.NewReplacer("|", `\|`, "`", "\\`", "<", "&lt;", ">", "&gt;").Replace(s)
}

func writeOutsideMarkdown(w io.Writer, m *reachability.Matrix, xs []access.Exposed) error {
	fmt.Fprintf(w, "## Exposure outside the cluster\n\n- options: %s\n- exposed: %d\n", mdCell(m.Describe()), len(xs))
	if len(xs) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\n| from | to | kind | allowed | conditional | via |\n| --- | --- | --- | --- | --- | --- |")
	for _, x := range xs {
		via := make([]string, len(x.Via))
		for i, v := range x.Via {
			via[i] = mdCell(v)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", mdCell(x.From), mdCell(x.To), mdCell(x.Kind),
			connText(x.Allowed), connText(x.Conditional), strings.Join(via, "<br>"))
	}
	return nil
}

// outsideJSON is the JSON form (apiVersion netreach.io/v1alpha1, kind
// OutsideExposure).
type outsideJSON struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Options    string            `json:"options"`
	Exposed    []exposedJSONItem `json:"exposed"`
}

type exposedJSONItem struct {
	From        string   `json:"from"`
	To          string   `json:"to"`
	Kind        string   `json:"kind"`
	Namespace   string   `json:"namespace,omitempty"`
	Allowed     string   `json:"allowed,omitempty"`
	Conditional string   `json:"conditional,omitempty"`
	Via         []string `json:"via"`
}

func writeOutsideJSON(w io.Writer, m *reachability.Matrix, xs []access.Exposed) error {
	out := outsideJSON{APIVersion: reachability.JSONAPIVersion, Kind: "OutsideExposure", Options: m.Describe(), Exposed: []exposedJSONItem{}}
	for _, x := range xs {
		out.Exposed = append(out.Exposed, exposedJSONItem{From: x.From, To: x.To, Kind: x.Kind, Namespace: x.Namespace,
			Allowed: connText(x.Allowed), Conditional: connText(x.Conditional), Via: x.Via})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
