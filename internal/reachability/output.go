package reachability

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strings"

	"github.com/netreach/netreach/internal/policy"
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
	// focus, when not nil, marks the focused entries (by position in
	// Entries); only pairs whose source (egress), destination (ingress)
	// or either (both) is focused are shown. See [Matrix.WithFocus].
	focus []bool
	dir   FocusDirection
}

// keeps reports whether the view shows the pair of entry positions x, y.
func (v View) keeps(x, y int) bool {
	if v.focus == nil {
		return true
	}
	switch v.dir {
	case FocusEgress:
		return v.focus[x]
	case FocusIngress:
		return v.focus[y]
	}
	return v.focus[x] || v.focus[y]
}

// WithFocus narrows the view to the pairs from or to (dir) the entries
// some selection picks: endpoints it matches, external atoms that overlap
// a selected CIDR. It also returns the selections that pick nothing in
// the view.
func (m *Matrix) WithFocus(v View, sels []Selection, dir FocusDirection) (View, []Selection) {
	if len(sels) == 0 {
		return v, nil
	}
	matched := make([]bool, len(sels))
	v.focus = make([]bool, len(v.Entries))
	v.dir = dir
	for x, i := range v.Entries {
		for k, s := range sels {
			hit := false
			if e := m.Endpoint(i); e != nil {
				hit = s.MatchesEndpoint(e)
			} else if p, ok := s.Prefix(); ok {
				a, _ := m.ExternalAtom(i)
				hit = a.Range.Contains(p.Addr()) || p.Contains(a.Range.From()) || p.Contains(a.Range.To())
			}
			if hit {
				v.focus[x], matched[k] = true, true
			}
		}
	}
	var unmatched []Selection
	for k, ok := range matched {
		if !ok {
			unmatched = append(unmatched, sels[k])
		}
	}
	return v, unmatched
}

// WithConnections narrows the view to the port atoms that hold some of
// the connections c.
func (m *Matrix) WithConnections(v View, c Connections) View {
	scope := m.ConnectionScope()
	var ports []int
	for _, p := range v.Ports {
		if !connectionsOf(m.ports, scope, func(q int) bool { return q == p }).Intersect(c).IsEmpty() {
			ports = append(ports, p)
		}
	}
	v.Ports = ports
	return v
}

// Pairs returns the number of ordered pairs of entries the view shows
// (a pair of two external atoms is never one), at O(len(Entries)).
func (m *Matrix) Pairs(v View) int64 {
	var eps, ext, fEps, fExt int64
	for x, i := range v.Entries {
		f := v.focus == nil || v.focus[x]
		if i < m.NumEndpoints() {
			eps++
			if f {
				fEps++
			}
		} else {
			ext++
			if f {
				fExt++
			}
		}
	}
	all := eps*eps + 2*eps*ext
	if v.focus == nil {
		return all
	}
	// Pairs with a focused source, and with a focused destination.
	src := fEps*(eps+ext) + fExt*eps
	dst := src
	switch v.dir {
	case FocusEgress:
		return src
	case FocusIngress:
		return dst
	}
	// Both: minus the pairs counted twice (focused on both sides).
	return src + dst - (fEps*fEps + 2*fEps*fExt)
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
			if !m.IsPair(i, j) || !v.keeps(x, y) {
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
				if m.IsPair(i, j) && v.keeps(a, b) {
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
		for x, i := range v.Entries {
			for y, j := range v.Entries {
				if m.IsPair(i, j) && v.keeps(x, y) {
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
	for x, i := range v.Entries {
		for y, j := range v.Entries {
			if m.IsPair(i, j) && v.keeps(x, y) && m.At(i, j, p) != m.At(i, j, q) {
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
	// Origin is set for endpoints an admission policy (Kyverno) changed
	// or created.
	Origin *policy.Origin `json:"origin,omitempty"`
	// AddressRanges, for a pod without an address, are the IP pool
	// ranges its address will come from, and AddressRangesFrom why
	// (docs/calico-ipam.md); address rules that straddle them make
	// verdicts conditional.
	AddressRanges     []string `json:"addressRanges,omitempty"`
	AddressRangesFrom string   `json:"addressRangesFrom,omitempty"`
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
	addVerdict(lv.Allowed, &lv.Conditional, src, dst, v)
}

// addVerdict lists dst under src in allowed or, for a conditional verdict,
// in *conditional (made when needed).
func addVerdict(allowed map[string][]string, conditional *map[string][]string, src, dst string, v Verdict) {
	switch v {
	case Allow:
		allowed[src] = append(allowed[src], dst)
	case Conditional:
		if *conditional == nil {
			*conditional = map[string][]string{}
		}
		(*conditional)[src] = append((*conditional)[src], dst)
	}
}

// JSON returns the view in the JSON form, built in memory: for small
// matrices and tests. [Matrix.WriteJSON] writes the same document
// without building it.
func (m *Matrix) JSON(v View) *MatrixJSON { return m.jsonOf(v, nil) }

// JSONLayers returns the view in the JSON form with, per port atom, the
// verdicts of the network layer and of the mesh layer.
func (m *Matrix) JSONLayers(v View, ls *Layers) *MatrixJSON { return m.jsonOf(v, ls) }

// entryJSON describes entry i in the JSON form.
func (m *Matrix) entryJSON(i int) EntryJSON {
	ej := EntryJSON{Name: m.Name(i), Kind: m.EntryKind(i)}
	if d, ok := m.Derived(i); ok {
		ej.Namespace = d.Namespace
	}
	if e := m.Endpoint(i); e != nil {
		ej.Kind, ej.Namespace, ej.Workload, ej.Origin = e.Kind, e.Namespace, e.Workload, e.Origin
		for _, ip := range e.IPs {
			ej.IPs = append(ej.IPs, ip.String())
		}
		addPoolJSON(&ej, e)
	}
	return ej
}

func (m *Matrix) jsonOf(v View, ls *Layers) *MatrixJSON {
	out := &MatrixJSON{APIVersion: JSONAPIVersion, Kind: JSONKind, Mode: m.mode.String(), Options: m.Describe()}
	for _, i := range v.Entries {
		out.Entries = append(out.Entries, m.entryJSON(i))
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
				if !m.IsPair(i, j) || !v.keeps(x, y) {
					continue
				}
				src, dst := out.Entries[x].Name, out.Entries[y].Name
				addVerdict(pv.Allowed, &pv.Conditional, src, dst, m.At(i, j, p))
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

// WriteJSON writes the view in the JSON form, indented, byte for byte as
// encoding/json writes [Matrix.JSON]'s document, but streamed: one
// entry, and one source's destinations, at a time.
func (m *Matrix) WriteJSON(w io.Writer, v View) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	str := func(s string) {
		b, _ := json.Marshal(s) // a string: cannot fail
		bw.Write(b)
	}
	bw.WriteString("{\n  \"apiVersion\": ")
	str(JSONAPIVersion)
	bw.WriteString(",\n  \"kind\": ")
	str(JSONKind)
	bw.WriteString(",\n  \"mode\": ")
	str(m.mode.String())
	bw.WriteString(",\n  \"options\": ")
	str(m.Describe())
	bw.WriteString(",\n  \"entries\": ")
	names := make([]string, len(v.Entries))
	if len(v.Entries) == 0 {
		bw.WriteString("null")
	} else {
		bw.WriteString("[")
		for x, i := range v.Entries {
			ej := m.entryJSON(i)
			names[x] = ej.Name
			b, err := json.MarshalIndent(ej, "    ", "  ")
			if err != nil {
				return err
			}
			if x > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString("\n    ")
			bw.Write(b)
		}
		bw.WriteString("\n  ]")
	}
	// Map keys come out sorted, as encoding/json sorts them.
	order := make([]int, len(v.Entries))
	for x := range order {
		order[x] = x
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(names[a], names[b]) })
	bw.WriteString(",\n  \"ports\": ")
	if len(v.Ports) == 0 {
		bw.WriteString("null")
	} else {
		bw.WriteString("[")
		for k, p := range v.Ports {
			if k > 0 {
				bw.WriteByte(',')
			}
			proto, port := m.portLabel(v, p)
			bw.WriteString("\n    {\n      \"protocol\": ")
			str(proto)
			if port != "" {
				bw.WriteString(",\n      \"port\": ")
				str(port)
			}
			bw.WriteString(",\n      \"allowed\": ")
			m.writeVerdictMap(bw, v, p, Allow, order, names, str)
			if m.t.pos != nil && m.hasVerdict(v, p, Conditional) {
				bw.WriteString(",\n      \"conditional\": ")
				m.writeVerdictMap(bw, v, p, Conditional, order, names, str)
			}
			bw.WriteString("\n    }")
		}
		bw.WriteString("\n  ]")
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}

// writeVerdictMap writes the sources (in order) that have destinations
// with verdict want on port atom p, and those destinations, as an
// indented JSON object.
func (m *Matrix) writeVerdictMap(bw *bufio.Writer, v View, p int, want Verdict, order []int, names []string, str func(string)) {
	any := false
	for _, x := range order {
		i := v.Entries[x]
		first := true
		for y, j := range v.Entries {
			if !m.IsPair(i, j) || !v.keeps(x, y) || m.At(i, j, p) != want {
				continue
			}
			if first {
				if any {
					bw.WriteByte(',')
				} else {
					bw.WriteByte('{')
				}
				any = true
				bw.WriteString("\n        ")
				str(names[x])
				bw.WriteString(": [")
				first = false
			} else {
				bw.WriteByte(',')
			}
			bw.WriteString("\n          ")
			str(names[y])
		}
		if !first {
			bw.WriteString("\n        ]")
		}
	}
	if !any {
		bw.WriteString("{}")
		return
	}
	bw.WriteString("\n      }")
}

// hasVerdict reports whether some pair of the view has verdict want on
// port atom p.
func (m *Matrix) hasVerdict(v View, p int, want Verdict) bool {
	for x, i := range v.Entries {
		for y, j := range v.Entries {
			if m.IsPair(i, j) && v.keeps(x, y) && m.At(i, j, p) == want {
				return true
			}
		}
	}
	return false
}
