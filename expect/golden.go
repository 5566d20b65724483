package expect

import (
	"context"

	"github.com/netreach/netreach/internal/bridge"
	"github.com/netreach/netreach/internal/enumtext"
	iexpect "github.com/netreach/netreach/internal/expect"
	"github.com/netreach/netreach/internal/public"
	ireach "github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/reachability"
)

// Golden is a reachability matrix recorded earlier with `netreach matrix
// -o json` (apiVersion netreach.io/v1alpha1, kind ReachabilityMatrix). It
// is immutable and safe for concurrent use.
type Golden struct {
	g *iexpect.Golden
}

// ParseGolden reads a golden matrix named name. Fields it does not know
// are ignored (the format grows compatibly within v1alpha1); a wrong
// apiVersion or kind, a malformed port or address, or a name that is not
// an entry is an error, a [policy.Diagnostics].
func ParseGolden(name string, data []byte) (*Golden, error) {
	g, err := iexpect.ParseGolden(name, data)
	if err != nil {
		return nil, public.Error(err)
	}
	return &Golden{g: g}, nil
}

// LoadGolden reads the golden matrix file at path; see [ParseGolden].
func LoadGolden(path string) (*Golden, error) {
	g, err := iexpect.LoadGolden(path)
	if err != nil {
		return nil, public.Error(err)
	}
	return &Golden{g: g}, nil
}

// Compare compares m with the golden matrix, flow by flow, at
// opts.Level, on the common refinement of both matrices' ports and
// external addresses. Ports of a protocol the golden holds only in part
// (written with --port) and addresses of a family only one side has are
// not compared; [Drift.Notes] say so. It costs O(entries² × ports), times
// the product of the workloads' sizes at workload level. When ctx is
// cancelled it stops within a row and returns ctx's error; a nil g, m or
// ctx is an [*policy.InvalidInputError].
func (g *Golden) Compare(ctx context.Context, m *reachability.Matrix, opts Options) (*Drift, error) {
	im := bridge.Matrix(m)
	if im == nil || g == nil || g.g == nil || ctx == nil {
		return nil, &policy.InvalidInputError{Op: "expect: Golden.Compare", Reason: "nil golden, matrix or context"}
	}
	d, err := g.g.CompareContext(ctx, im, iexpect.Level(opts.Level))
	if err != nil {
		return nil, public.Error(err)
	}
	out := &Drift{
		Level:       Level(d.Level),
		Added:       d.Added,
		Removed:     d.Removed,
		Notes:       d.Notes,
		Cause:       causeFrom(d.Cause),
		Explanation: explanation(d.Trace, d.Path),
	}
	for _, side := range []struct {
		to   *[]reachability.Change
		from []ireach.Change
	}{{&out.Gained, d.Gained}, {&out.Lost, d.Lost}} {
		for _, c := range side.from {
			*side.to = append(*side.to, reachability.Change{From: c.Src, To: c.Dst, Ports: portRange(c.Protocol, c.Lo, c.Hi),
				Before: reachability.Verdict(c.Before), After: reachability.Verdict(c.After)})
		}
	}
	return out, nil
}

// Drift is the difference between a golden matrix and the current one.
type Drift struct {
	// Level is the level the comparison used: [LevelEndpoint] or
	// [LevelWorkload].
	Level Level
	// Added and Removed are the endpoints (or workloads) only the current
	// matrix has, or only the golden one. Their flows count as denied on
	// the side that lacks them, as in `netreach diff`.
	Added, Removed []string
	// Gained are the flows more open now than in the golden (deny →
	// allow, deny → conditional, conditional → allow), Lost the flows
	// less open. Adjacent ports with the same change are merged; changes
	// are sorted by source, destination, protocol and port. At
	// [LevelWorkload] they name workloads ("shop/Deployment/web") instead
	// of pods.
	Gained, Lost []reachability.Change
	// Notes tell what may explain a drift, such as different options.
	Notes []string
	// Cause is what decided the first gained flow (else the first lost
	// one) in the current matrix, and Explanation explains it as
	// [Result.Explanation] does.
	Cause       *Cause
	Explanation string
}

// IsEmpty reports whether the current matrix matches the golden: nothing
// gained, lost, added or removed.
func (d *Drift) IsEmpty() bool {
	return d == nil || len(d.Gained) == 0 && len(d.Lost) == 0 && len(d.Added) == 0 && len(d.Removed) == 0
}

// Level says how the endpoints of a golden matrix are matched with those
// of the current one. The zero value is [LevelAuto].
type Level uint8

// The levels of a golden comparison.
const (
	// LevelAuto compares at workload level when the golden's entries
	// carry a workload (`netreach matrix -o json` writes them for pods
	// a workload owns), at endpoint level otherwise.
	LevelAuto Level = iota
	// LevelEndpoint matches endpoints by namespace/name.
	LevelEndpoint
	// LevelWorkload matches endpoints by namespace and owning workload
	// ("shop/Deployment/web"), so that pods renamed by a new pod-template
	// hash still match; endpoints without a workload keep their own
	// name. A workload reaches another when one of its endpoints reaches
	// one of the other's (the most open verdict wins).
	LevelWorkload
)

// String returns "auto", "endpoint" or "workload".
func (l Level) String() string { return iexpect.Level(l).String() }

// MarshalText returns the level as String does.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (l *Level) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(l, b, LevelAuto, LevelEndpoint, LevelWorkload)
}
