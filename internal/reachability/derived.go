package reachability

import (
	"context"
	"fmt"

	"github.com/netreach/netreach/internal/policy"
)

// DerivedEntry is an entry of a matrix that is neither an endpoint nor an
// external atom: a pseudo-endpoint such as "{internet}" or a Service,
// whose verdicts a [DerivedLayer] derives from the endpoints' verdicts. Derived
// entries come after the external atoms.
type DerivedEntry struct {
	// Name is unique among the matrix's entries: "{internet}",
	// "shop/web[Service]".
	Name string
	// Kind names what the entry stands for ("Internet",
	// "IngressController", "Service"); outputs print it.
	Kind string
	// Namespace is the entry's namespace, if it has one.
	Namespace string
	// Source and Destination say on which side of a pair the entry can
	// be. A source-only entry has no column; a destination-only entry has
	// no row.
	Source, Destination bool
}

// Derived is what a [DerivedLayer] adds to a matrix: its entries, and the
// verdict of every pair that involves one of them.
type Derived struct {
	Entries []DerivedEntry
	// At returns the verdict from entry src to entry dst on port atom p;
	// at least one of them is derived and the pair is one [Matrix.IsPair]
	// accepts. It must be safe for concurrent use.
	At func(src, dst, p int) Verdict
	// Describe lists the layer's switches as "key=value" pairs, appended
	// to [Matrix.Describe].
	Describe string
	// Explain, when set, returns the lines that explain the verdict of a
	// pair At decides (the hops of its path), for reports; src, dst and p
	// are as for At. It must be safe for concurrent use.
	Explain func(src, dst, p int) []string
}

// DerivedLayer derives entries of a matrix from the verdicts between its
// endpoints and external atoms (package access adds the internet, the
// ingress controllers and Services this way).
type DerivedLayer interface {
	// PortCuts returns port ranges that must be port atoms of their own
	// (each range is cut at its two ends), so that the derived verdicts
	// are constant within every atom.
	PortCuts(s *policy.Snapshot) []PortRange
	// Derive computes the derived entries of m, whose endpoint and atom
	// verdicts are complete.
	Derive(ctx context.Context, m *Matrix) (Derived, error)
}

// ComputeWith is [Compute] with a layer of derived entries: the port atoms
// are also cut where the layer asks, and the layer's entries follow the
// external atoms.
func ComputeWith(ctx context.Context, s *policy.Snapshot, opts Options, layer DerivedLayer) (*Matrix, error) {
	if layer == nil {
		return Compute(ctx, s, opts)
	}
	opts.portCuts = layer.PortCuts(s)
	m, err := Compute(ctx, s, opts)
	if err != nil {
		return nil, err
	}
	if err := derive(ctx, m, layer); err != nil {
		return nil, err
	}
	return m, nil
}

// derive adds the entries of layer (if any) to m, whose endpoint and atom
// verdicts are complete.
func derive(ctx context.Context, m *Matrix, layer DerivedLayer) error {
	if layer == nil {
		return nil
	}
	d, err := layer.Derive(ctx, m)
	if err != nil {
		return err
	}
	if d.At == nil && len(d.Entries) > 0 {
		return fmt.Errorf("reachability: layer %T derived entries without verdicts", layer)
	}
	m.derived, m.layer = d, layer
	return nil
}

// numBase returns the number of entries that are endpoints or external
// atoms: the derived entries are numbered from there.
func (m *Matrix) numBase() int { return len(m.snap.Endpoints) + len(m.u.atoms) }

// Derived returns the derived entry i, or ok false when i is an endpoint
// or an external atom.
func (m *Matrix) Derived(i int) (e DerivedEntry, ok bool) {
	k := i - m.numBase()
	if k < 0 || k >= len(m.derived.Entries) {
		return DerivedEntry{}, false
	}
	return m.derived.Entries[k], true
}

// ExplainDerived returns the lines that explain the verdict of a pair
// with a derived entry on port atom p, as its layer gives them; nil when
// the pair has no derived entry or the layer explains nothing.
func (m *Matrix) ExplainDerived(src, dst, p int) []string {
	pair, isDerived := m.derivedPair(src, dst)
	if !pair || !isDerived || m.derived.Explain == nil {
		return nil
	}
	return m.derived.Explain(src, dst, p)
}

// NumDerived returns the number of derived entries (the last entries).
func (m *Matrix) NumDerived() int { return len(m.derived.Entries) }

// EntryKind returns what entry i is: "External" for an external atom,
// the derived entry's kind, or the endpoint's kind (Pod, Deployment...).
func (m *Matrix) EntryKind(i int) string {
	if e := m.Endpoint(i); e != nil {
		return e.Kind
	}
	if d, ok := m.Derived(i); ok {
		return d.Kind
	}
	return "External"
}

// derivedPair reports whether (i, j) is a pair with a derived entry that
// the matrix describes; isDerived is false when neither is derived.
func (m *Matrix) derivedPair(i, j int) (pair, isDerived bool) {
	di, iok := m.Derived(i)
	dj, jok := m.Derived(j)
	if !iok && !jok {
		return false, false
	}
	nE := len(m.snap.Endpoints)
	srcOK := i < nE || iok && di.Source
	dstOK := j < nE || jok && dj.Destination
	if iok && !jok && j >= nE || jok && !iok && i >= nE {
		srcOK = false // an external atom with a derived entry
	}
	return srcOK && dstOK && i != j, true
}
