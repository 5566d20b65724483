package reachability

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/netreach/netreach/internal/policy"
)

// Layer names one layer of a verdict: with the service mesh on, a
// connection is allowed when network policy allows it and the mesh allows
// it [docs/mesh.md §5.3].
type Layer uint8

// Layers.
const (
	// LayerCombined is the verdict every output and check uses: both
	// layers together.
	LayerCombined Layer = iota
	// LayerNetwork is network policy alone (as with the mesh off).
	LayerNetwork
	// LayerMesh is the mesh alone (as if no network policy existed).
	LayerMesh
)

// String returns "combined", "network" or "mesh".
func (l Layer) String() string {
	switch l {
	case LayerNetwork:
		return "network"
	case LayerMesh:
		return "mesh"
	}
	return "combined"
}

// MarshalText returns the layer's name.
func (l Layer) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// ParseLayer parses "combined", "network" or "mesh".
func ParseLayer(s string) (Layer, error) {
	switch s {
	case "combined", "":
		return LayerCombined, nil
	case "network":
		return LayerNetwork, nil
	case "mesh":
		return LayerMesh, nil
	}
	return 0, fmt.Errorf("invalid layer %q: expected combined, network or mesh", s)
}

// Layers holds the matrices of the two layers behind a combined matrix,
// and reads them at the combined matrix's entries and port atoms. It is
// immutable and safe for concurrent use.
type Layers struct {
	combined      *Matrix
	network, mesh *Matrix
	maps          [2]layerMap // network, mesh
}

// layerMap maps the combined matrix's entries and port atoms to a layer's.
type layerMap struct {
	entry []int
	port  []int // -1: the layer has no atom for the protocol (never restricted)
}

// ComputeLayers computes the network layer (the same snapshot and options
// with the mesh off) and the mesh layer (the mesh alone: no network policy
// of any API) of m. With the mesh off, both read m: the mesh allows
// everything then, and the network layer is the combined verdict. Each
// layer costs one more computation.
func (m *Matrix) ComputeLayers(ctx context.Context) (*Layers, error) {
	ls := &Layers{combined: m}
	if m.meshMode != MeshIstio {
		ls.network = m
		ls.maps[0] = identityMap(m)
		return ls, nil
	}
	opts := m.opts
	opts.KeepSides = false
	opts.Mesh = MeshOff
	var err error
	// The layers get the derived entries of m too (the same layer over
	// their own verdicts).
	if ls.network, err = ComputeWith(ctx, m.input, opts, m.layer); err != nil {
		return nil, err
	}
	bare := *m.input
	bare.NetworkPolicies = nil
	bare.Admin = policy.AdminPolicies{}
	bare.Calico = policy.CalicoObjects{}
	opts.Mesh, opts.Mode, opts.Staged = MeshIstio, policy.ModeK8s, policy.StagedEnforced
	if ls.mesh, err = ComputeWith(ctx, &bare, opts, m.layer); err != nil {
		return nil, err
	}
	ls.maps[0] = mapOnto(m, ls.network)
	ls.maps[1] = mapOnto(m, ls.mesh)
	return ls, nil
}

// Matrix returns the matrix of a layer (nil for the mesh layer when the
// mesh is off). Its entries and atoms may differ from the combined
// matrix's: read it through [Layers.At] to compare.
func (ls *Layers) Matrix(l Layer) *Matrix {
	switch l {
	case LayerNetwork:
		return ls.network
	case LayerMesh:
		return ls.mesh
	}
	return ls.combined
}

// At returns the verdict of layer l for entries i, j and port atom p of
// the combined matrix. With the mesh off the mesh layer allows every
// connection.
func (ls *Layers) At(l Layer, i, j, p int) Verdict {
	var lm *Matrix
	var mp *layerMap
	switch l {
	case LayerNetwork:
		lm, mp = ls.network, &ls.maps[0]
	case LayerMesh:
		if ls.mesh == nil {
			return Allow
		}
		lm, mp = ls.mesh, &ls.maps[1]
	default:
		return ls.combined.At(i, j, p)
	}
	q := mp.port[p]
	if q < 0 {
		return Allow
	}
	a, b := mp.entry[i], mp.entry[j]
	if a < 0 || b < 0 {
		return Deny // a derived entry the layer does not have
	}
	return lm.At(a, b, q)
}

func identityMap(m *Matrix) layerMap {
	lm := layerMap{entry: make([]int, m.Len()), port: make([]int, len(m.ports))}
	for i := range lm.entry {
		lm.entry[i] = i
	}
	for p := range lm.port {
		lm.port[p] = p
	}
	return lm
}

// mapOnto maps m's entries and atoms onto l, computed from the same
// inventory: endpoints keep their index; an external atom maps to the
// atom of l holding its first address; a derived entry to l's entry of
// the same name; a port atom to the atom of l holding its first port
// (l's atoms are coarser or equal).
func mapOnto(m, l *Matrix) layerMap {
	lm := layerMap{entry: make([]int, m.Len()), port: make([]int, len(m.ports))}
	n := m.NumEndpoints()
	derived := make(map[string]int, l.NumDerived())
	for k, d := range l.derived.Entries {
		derived[d.Name] = l.numBase() + k
	}
	for i := range lm.entry {
		if i < n {
			lm.entry[i] = i
			continue
		}
		if d, ok := m.Derived(i); ok {
			k, ok := derived[d.Name] // the same layer derives the same entries
			if !ok {
				k = -1
			}
			lm.entry[i] = k
			continue
		}
		a, _ := m.ExternalAtom(i)
		lm.entry[i] = l.ExternalEntry(a.Range.From())
	}
	for p, at := range m.ports {
		lm.port[p] = l.PortAtomIndex(at.Protocol, at.Lo)
	}
	return lm
}

// WriteCSVLayers writes the view as [Matrix.WriteCSV] does, with two more
// columns: the verdict of the network layer and of the mesh layer
// ("source,destination,protocol,port,allowed,network,mesh").
func (m *Matrix) WriteCSVLayers(w io.Writer, v View, ls *Layers) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString("source,destination,protocol,port,allowed,network,mesh\n")
	labels := make([][2]string, len(v.Ports))
	for k, p := range v.Ports {
		labels[k][0], labels[k][1] = m.portLabel(v, p)
	}
	names := make([]string, len(v.Entries))
	for x, i := range v.Entries {
		names[x] = csvField(m.Name(i))
	}
	for x, i := range v.Entries {
		for y, j := range v.Entries {
			if !m.IsPair(i, j) {
				continue
			}
			for k, p := range v.Ports {
				for _, s := range []string{names[x], ",", names[y], ",", labels[k][0], ",", labels[k][1], ",",
					verdictText(m.At(i, j, p)), ",", verdictText(ls.At(LayerNetwork, i, j, p)), ",", verdictText(ls.At(LayerMesh, i, j, p)), "\n"} {
					bw.WriteString(s)
				}
			}
		}
	}
	return bw.Flush()
}
