package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// endpointSummary says in words what an endpoint present on one side only
// could do there: "reaches 3 entries, reachable from 2 (7 flows)".
func endpointSummary(ed reachability.EndpointDelta, added bool) string {
	dsts, srcs := map[string]bool{}, map[string]bool{}
	for _, c := range ed.Out {
		dsts[c.Dst] = true
	}
	for _, c := range ed.In {
		srcs[c.Src] = true
	}
	n := len(ed.Out) + len(ed.In)
	if added {
		return fmt.Sprintf("reaches %d entr%s, reachable from %d (%d flow%s)", len(dsts), plural2(len(dsts)), len(srcs), n, plural(n))
	}
	return fmt.Sprintf("reached %d entr%s, was reachable from %d (%d flow%s)", len(dsts), plural2(len(dsts)), len(srcs), n, plural(n))
}

func plural2(n int) string {
	if n == 1 {
		return "y"
	}
	return "ies"
}

// endpointParts are the added and removed endpoints, with their titles.
func endpointParts(d reachability.Delta) []struct {
	title string
	added bool
	eds   []reachability.EndpointDelta
} {
	return []struct {
		title string
		added bool
		eds   []reachability.EndpointDelta
	}{{"added", true, d.Added}, {"removed", false, d.Removed}}
}

// writeEndpointsTable lists the endpoints added and removed, up to max of
// each (0: all), with a summary of their flows.
func writeEndpointsTable(w io.Writer, d reachability.Delta, max int) {
	for _, part := range endpointParts(d) {
		if len(part.eds) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nendpoints %s: %d\n", part.title, len(part.eds))
		for i, ed := range part.eds {
			if max > 0 && i == max {
				fmt.Fprintf(w, "  ... %d more\n", len(part.eds)-max)
				break
			}
			fmt.Fprintf(w, "  %s: %s\n", ed.ID, endpointSummary(ed, part.added))
		}
	}
}

// writeEndpointsMarkdown is writeEndpointsTable as Markdown.
func writeEndpointsMarkdown(w io.Writer, d reachability.Delta, max int) {
	for _, part := range endpointParts(d) {
		if len(part.eds) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n### Endpoints %s\n\n| endpoint | flows |\n| --- | --- |\n", part.title)
		for i, ed := range part.eds {
			if max > 0 && i == max {
				fmt.Fprintf(w, "| … | %d more |\n", len(part.eds)-max)
				break
			}
			fmt.Fprintf(w, "| `%s` | %s |\n", ed.ID, endpointSummary(ed, part.added))
		}
	}
}

// endpointJS is an added or removed endpoint in the JSON form of a diff.
type endpointJS struct {
	Endpoint  string     `json:"endpoint"`
	Namespace string     `json:"namespace"`
	FlowsOut  []changeJS `json:"flowsOut"`
	FlowsIn   []changeJS `json:"flowsIn"`
}

func endpointsJSON(eds []reachability.EndpointDelta) []endpointJS {
	conv := func(cs []reachability.Change) []changeJS {
		out := []changeJS{}
		for _, c := range cs {
			out = append(out, changeJS{c.Src, c.Dst, c.Before.String(), c.After.String()})
		}
		return out
	}
	out := []endpointJS{}
	for _, ed := range eds {
		out = append(out, endpointJS{Endpoint: ed.ID, Namespace: ed.Namespace, FlowsOut: conv(ed.Out), FlowsIn: conv(ed.In)})
	}
	return out
}

// reportDeleted says on stderr what --delete removes: the objects named
// and, for a namespace, every object in it, as Kubernetes deletes them.
func reportDeleted(w io.Writer, before *policy.Snapshot, deletes []string) error {
	if len(deletes) == 0 {
		return nil
	}
	gone, err := before.DeletedBy(deletes)
	if err != nil {
		return usageError("--%v", err) // "--delete x: ..."
	}
	names := make([]string, len(gone))
	for i, r := range gone {
		names[i] = r.Kind + " " + objectName(r)
	}
	fmt.Fprintf(w, "deleted %d object%s: %s\n", len(gone), plural(len(gone)), strings.Join(names, ", "))
	return nil
}

func objectName(r policy.ObjectRef) string {
	if r.Namespace == "" {
		return r.Name
	}
	return r.Namespace + "/" + r.Name
}
