package policy

import (
	"context"
	"slices"
)

// This file holds small helpers for the public facade (package policy at
// the module's root).

// SetContext makes ctx cancel the loader's reading and decoding, as
// [LoadContext] does; call it before adding input, and finish with
// [Loader.SnapshotContext].
func (l *Loader) SetContext(ctx context.Context) { l.ctx = ctx }

// SnapshotContext is [Loader.Snapshot] for a loader given a context with
// [Loader.SetContext]: once the context is done it returns its error and
// no snapshot.
func (l *Loader) SnapshotContext() (*Snapshot, error) {
	if l.cancelled() {
		l.finish() // the workers stop within a document
		return nil, l.ctx.Err()
	}
	s, err := l.Snapshot()
	if l.cancelled() {
		return nil, l.ctx.Err()
	}
	return s, err
}

// ObjectRefs returns the references of the objects a snapshot built by a
// Loader was assembled from (skipped objects and objects rejected as
// invalid included), sorted by
// [ObjectRef.Key], with Source and Origin cleared; nil for other
// snapshots.
func (s *Snapshot) ObjectRefs() []ObjectRef {
	if s == nil || s.src == nil {
		return nil
	}
	out := make([]ObjectRef, 0, len(s.src.objects))
	for _, o := range s.src.objects {
		r := o.ref
		r.Source, r.Origin = Location{}, nil
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b ObjectRef) int {
		switch ka, kb := a.Key(), b.Key(); {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return 0
	})
	return slices.CompactFunc(out, func(a, b ObjectRef) bool { return a.Key() == b.Key() })
}
