package reachability

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strings"

	"github.com/netreach/netreach/policy"
)

// View selects the part of a matrix to write: which entries (as sources
// and destinations) and which port atoms.
type View struct {
	// Entries are the entry indexes to show, in order.
	Entries []int
	// Ports are the port atom indexes to show, in order.
	Ports []int
	// Port, when not nil, is the single concrete port the view was asked
	// for ("--port 80/TCP"); outputs print it instead of the atom's range.
	Port *Port
}

// Port is one concrete protocol and port.
type Port struct {
	Protocol policy.Protocol
	Number   uint16
}

// String returns "80/TCP", or "ICMP" for protocols without ports.
func (p Port) String() string {
	if !p.Protocol.HasPorts() {
		return p.Protocol.String()
	}
	return fmt.Sprintf("%d/%s", p.Number, p.Protocol)
}

// NewView returns a view of every endpoint in the given namespaces (all
// when none are given), followed by the external atoms when external is
// true, then the derived entries (those with a namespace only when it is
// one of the given namespaces), on every port atom.
func (m *Matrix) NewView(namespaces []string, external bool) View {
	var v View
	for i, e := range m.snap.Endpoints {
		if len(namespaces) == 0 || slices.Contains(namespaces, e.Namespace) {
			v.Entries = append(v.Entries, i)
		}
	}
	if external {
		for k := range m.u.atoms {
			v.Entries = append(v.Entries, len(m.snap.Endpoints)+k)
		}
	}
	for k, d := range m.derived.Entries {
		if d.Namespace == "" || len(namespaces) == 0 || slices.Contains(namespaces, d.Namespace) {
			v.Entries = append(v.Entries, m.numBase()+k)
		}
	}
	for p := range m.ports {
		v.Ports = append(v.Ports, p)
	}
	return v
}

// WithPort narrows the view to the atom holding one concrete port. It
// fails when no atom holds it (a protocol no rule restricts in this mode).
func (m *Matrix) WithPort(v View, p Port) (View, error) {
	i := m.PortAtomIndex(p.Protocol, p.Number)
	if i < 0 {
		return v, fmt.Errorf("no policy in %s mode can restrict %s: it is always allowed", m.mode, p)
	}
	v.Ports = []int{i}
	v.Port = &p
	return v, nil
}

// portLabel returns the protocol and port text of atom p in view v.
func (m *Matrix) portLabel(v View, p int) (proto, port string) {
	if v.Port != nil {
		if !v.Port.Protocol.HasPorts() {
			return v.Port.Protocol.String(), ""
		}
		return v.Port.Protocol.String(), fmt.Sprint(v.Port.Number)
	}
	a := m.ports[p]
	if a.Others {
		return a.String(), ""
	}
	return a.Protocol.String(), a.PortString()
}

// verdictText is the text of a verdict in CSV: "true", "false", or
// "conditional".
func verdictText(v Verdict) string {
	switch v {
	case Allow:
		return "true"
	case Conditional:
		return "conditional"
	}
	return "false"
}

// WriteCSV writes the view as CSV with the header
// "source,destination,protocol,port,allowed": one row per ordered pair of
// entries (pairs of two external atoms excluded) and port atom, sources
// in view order, then destinations, then port atoms. allowed is "true" or
// "false" ("conditional" only when a rule depends on something that
// cannot be known offline). Rows are streamed; nothing is built in memory.
func (m *Matrix) WriteCSV(w io.Writer, v View) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString("source,destination,protocol,port,allowed\n")
	labels := make([][2]string, len(v.Ports))
	for k, p := range v.Ports {
		labels[k][0], labels[k][1] = m.portLabel(v, p)
	}
	names := make([]string, len(v.Entries)) // CSV fields, built once
	for x, i := range v.Entries {
		names[x] = csvField(m.Name(i))
	}
	for x, i := range v.Entries {
		src := names[x]
		for y, j := range v.Entries {
			if !m.IsPair(i, j) {
				continue
			}
			dst := names[y]
			for k, p := range v.Ports {
				bw.WriteString(src)
				bw.WriteByte(',')
				bw.WriteString(dst)
				bw.WriteByte(',')
				bw.WriteString(labels[k][0])
				bw.WriteByte(',')
				bw.WriteString(labels[k][1])
				bw.WriteByte(',')
				bw.WriteString(verdictText(m.At(i, j, p)))
				bw.WriteByte('\n')
			}
		}
	}
	return bw.Flush()
}

// csvField quotes a field when CSV needs it (names never need it, but
// quoting keeps the output well-formed whatever the input).
func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// WriteTable writes the view as truth tables a person can read: sources
// as rows, destinations as columns, "." for allowed, "X" for denied, "?"
// for conditional. Port atoms with identical tables share one, headed by a
// "port" line listing them. The format is the one of testdata's
// expect.txt files.
func (m *Matrix) WriteTable(w io.Writer, v View) error {
	bw := bufio.NewWriter(w)
	groups := m.groupPorts(v)
	names := make([]string, len(v.Entries))
	width := 0
	for k, i := range v.Entries {
		names[k] = m.Name(i)
		width = max(width, len(names[k]))
	}
	for gi, g := range groups {
		if gi > 0 {
			bw.WriteByte('\n')
		}
		bw.WriteString("port")
		for _, p := range g {
			proto, port := m.portLabel(v, p)
			if port != "" {
				proto = port + "/" + proto
			}
			bw.WriteString(" " + proto)
		}
		bw.WriteByte('\n')
		fmt.Fprintf(bw, "%-*s", width, "")
		for k := range v.Entries {
			fmt.Fprintf(bw, " %s", names[k])
		}
		bw.WriteByte('\n')
		for a, i := range v.Entries {
			line := fmt.Sprintf("%-*s", width, names[a])
			for b, j := range v.Entries {
				cell := "-"
				if m.IsPair(i, j) {
					switch m.At(i, j, g[0]) {
					case Allow:
						cell = "."
					case Deny:
						cell = "X"
					default:
						cell = "?"
					}
				}
				line += fmt.Sprintf(" %-*s", len(names[b]), cell)
			}
			bw.WriteString(strings.TrimRight(line, " "))
			bw.WriteByte('\n')
		}
	}
	return bw.Flush()
}

// groupPorts groups the view's port atoms whose verdicts agree on every
// pair of the view, keeping first-seen order.
func (m *Matrix) groupPorts(v View) [][]int {
	var groups [][]int
	var sigs []uint64
	for _, p := range v.Ports {
		h := fnv.New64a()
		var buf [1]byte
		for _, i := range v.Entries {
			for _, j := range v.Entries {
				if m.IsPair(i, j) {
					buf[0] = byte(m.At(i, j, p))
					h.Write(buf[:])
				}
			}
		}
		sig := h.Sum64()
		found := false
		for g, s := range sigs {
			if s == sig && m.samePort(v, groups[g][0], p) {
				groups[g] = append(groups[g], p)
				found = true
				break
			}
		}
		if !found {
			sigs = append(sigs, sig)
			groups = append(groups, []int{p})
		}
	}
	return groups
}

func (m *Matrix) samePort(v View, p, q int) bool {
	for _, i := range v.Entries {
		for _, j := range v.Entries {
			if m.IsPair(i, j) && m.At(i, j, p) != m.At(i, j, q) {
				return false
			}
		}
	}
	return true
}

// JSONAPIVersion and JSONKind identify the JSON format of a matrix.
const (
	JSONAPIVersion = "netreach.io/v1alpha1"
	JSONKind       = "ReachabilityMatrix"
)

// MatrixJSON is the JSON form of a matrix, versioned by APIVersion and
// Kind. Verdicts list, per port atom, the allowed (and conditional)
// destinations of each source; every pair not listed is denied.
type MatrixJSON struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Mode       string         `json:"mode"`
	Options    string         `json:"options"`
	Entries    []EntryJSON    `json:"entries"`
	Ports      []PortVerdicts `json:"ports"`
}

// EntryJSON describes one entry of the matrix.
type EntryJSON struct {
	Name      string   `json:"name"`
	Kind      string   `json:"kind"` // Pod, a workload kind, External, or a derived entry's kind (Internet, IngressController, Service)
	Namespace string   `json:"namespace,omitempty"`
	Workload  string   `json:"workload,omitempty"`
	IPs       []string `json:"ips,omitempty"`
}

// PortVerdicts are the verdicts of one port atom.
type PortVerdicts struct {
	Protocol    string              `json:"protocol"`
	Port        string              `json:"port,omitempty"`
	Allowed     map[string][]string `json:"allowed"`
	Conditional map[string][]string `json:"conditional,omitempty"`
	// Network and Mesh are the verdicts of each layer (with the mesh on,
	// when asked for: see [Matrix.JSONLayers]).
	Network *LayerVerdicts `json:"network,omitempty"`
	Mesh    *LayerVerdicts `json:"mesh,omitempty"`
}

// LayerVerdicts are one layer's verdicts of one port atom, in the form of
// PortVerdicts.
type LayerVerdicts struct {
	Allowed     map[string][]string `json:"allowed"`
	Conditional map[string][]string `json:"conditional,omitempty"`
}

// add records the verdict of src to dst.
func (lv *LayerVerdicts) add(src, dst string, v Verdict) {
	switch v {
	case Allow:
		lv.Allowed[src] = append(lv.Allowed[src], dst)
	case Conditional:
		if lv.Conditional == nil {
			lv.Conditional = map[string][]string{}
		}
		lv.Conditional[src] = append(lv.Conditional[src], dst)
	}
}

// JSON returns the view in the JSON form.
func (m *Matrix) JSON(v View) *MatrixJSON { return m.jsonOf(v, nil) }

// JSONLayers returns the view in the JSON form with, per port atom, the
// verdicts of the network layer and of the mesh layer.
func (m *Matrix) JSONLayers(v View, ls *Layers) *MatrixJSON { return m.jsonOf(v, ls) }

func (m *Matrix) jsonOf(v View, ls *Layers) *MatrixJSON {
	out := &MatrixJSON{APIVersion: JSONAPIVersion, Kind: JSONKind, Mode: m.mode.String(), Options: m.Describe()}
	for _, i := range v.Entries {
		ej := EntryJSON{Name: m.Name(i), Kind: m.EntryKind(i)}
		if d, ok := m.Derived(i); ok {
			ej.Namespace = d.Namespace
		}
		if e := m.Endpoint(i); e != nil {
			ej.Kind, ej.Namespace, ej.Workload = e.Kind, e.Namespace, e.Workload
			for _, ip := range e.IPs {
				ej.IPs = append(ej.IPs, ip.String())
			}
		}
		out.Entries = append(out.Entries, ej)
	}
	for _, p := range v.Ports {
		proto, port := m.portLabel(v, p)
		pv := PortVerdicts{Protocol: proto, Port: port, Allowed: map[string][]string{}}
		if ls != nil {
			pv.Network = &LayerVerdicts{Allowed: map[string][]string{}}
			pv.Mesh = &LayerVerdicts{Allowed: map[string][]string{}}
		}
		for x, i := range v.Entries {
			for y, j := range v.Entries {
				if !m.IsPair(i, j) {
					continue
				}
				src, dst := out.Entries[x].Name, out.Entries[y].Name
				switch m.At(i, j, p) {
				case Allow:
					pv.Allowed[src] = append(pv.Allowed[src], dst)
				case Conditional:
					if pv.Conditional == nil {
						pv.Conditional = map[string][]string{}
					}
					pv.Conditional[src] = append(pv.Conditional[src], dst)
				}
				if ls != nil {
					pv.Network.add(src, dst, ls.At(LayerNetwork, i, j, p))
					pv.Mesh.add(src, dst, ls.At(LayerMesh, i, j, p))
				}
			}
		}
		out.Ports = append(out.Ports, pv)
	}
	return out
}

// WriteJSON writes the view in the JSON form, indented.
func (m *Matrix) WriteJSON(w io.Writer, v View) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(m.JSON(v))
}
