package audit

import (
	"time"

	iaudit "github.com/netreach/netreach/internal/audit"
	ipolicy "github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/public"
	"github.com/netreach/netreach/policy"
)

// Waiver suppresses the findings of one kind about some objects until it
// expires (docs/audit-waivers.md): a waived finding moves from
// [Report.Findings] to [Report.Waived]. Once expired, a waiver no longer
// holds and the audit reports a finding of kind "waiver-expired".
type Waiver struct {
	// Kind is the finding kind's ID ("NR003") or name ("no-default-deny").
	Kind string `json:"kind"`
	// Objects name what the waiver covers, each one of: a namespace name
	// ("legacy"), an object as findings print it ("NetworkPolicy
	// shop/web") or as its key ("NetworkPolicy/shop/web"), a finding's
	// fingerprint, or "*" for every finding of the kind. A finding is
	// covered when one of them names its namespace, its first object or
	// its fingerprint.
	Objects []string `json:"objects"`
	// Reason says why the findings are accepted.
	Reason string `json:"reason"`
	// Expires is the last day the waiver holds (a date, UTC).
	Expires time.Time `json:"expires"`
	// Source locates the waiver in its file; the zero Location for a
	// waiver made in code.
	Source policy.Location `json:"source,omitzero"`
}

// ParseWaivers reads a waivers file (YAML or JSON) named name:
//
//	apiVersion: netreach.io/v1alpha1
//	kind: AuditWaivers
//	waivers:
//	- kind: NR003
//	  objects: [legacy, sandbox]
//	  reason: legacy namespaces, isolated by the firewall until the migration
//	  expires: 2026-12-31
//
// Every waiver needs a known kind, at least one object, a reason and an
// expiry date (YYYY-MM-DD). Errors name the file, line, column and field.
// Unknown fields are not errors: they are returned as warnings, located
// the same way ("waivers.yaml:4:3: expiry: unknown field").
func ParseWaivers(name string, data []byte) (ws []Waiver, warnings []string, err error) {
	in, warnings, err := iaudit.ParseWaivers(name, data)
	if err != nil {
		return nil, warnings, err
	}
	ws = make([]Waiver, len(in))
	for i := range in {
		ws[i] = waiverFrom(&in[i])
	}
	return ws, warnings, nil
}

func waiverFrom(w *iaudit.Waiver) Waiver {
	return Waiver{Kind: w.Kind, Objects: w.Objects, Reason: w.Reason, Expires: w.Expires, Source: public.Location(w.Source)}
}

func (w Waiver) internal() iaudit.Waiver {
	return iaudit.Waiver{Kind: w.Kind, Objects: w.Objects, Reason: w.Reason, Expires: w.Expires,
		Source: ipolicy.Location{File: w.Source.File, Doc: w.Source.Document, Line: w.Source.Line, Col: w.Source.Column}}
}
