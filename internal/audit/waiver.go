package audit

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/netreach/netreach/internal/policy"
)

// WaiverExpired: a waiver whose expiry date has passed; the findings it
// waived count again.
const WaiverExpired Kind = "waiver-expired"

func init() {
	registerKinds(KindInfo{"NR030", WaiverExpired, Low, "Expired waiver",
		"A waiver in the waivers file has passed its expiry date: the findings it waived count again, and the reason it gave needs a new look.",
		"Fix the findings the waiver covered, or renew it with a new expiry date and a reason that still holds."})
}

// Waiver suppresses the findings of one kind about some objects until it
// expires (docs/audit-waivers.md). A waived finding leaves the report's
// Findings for its Waived list, and no longer counts for a failing exit
// code.
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
	// Source locates the waiver in its file.
	Source policy.Location `json:"source,omitzero"`
}

// WaiversAPIVersion and WaiversKind identify a waivers file.
const (
	WaiversAPIVersion = "netreach.io/v1alpha1"
	WaiversKind       = "AuditWaivers"
)

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
// expiry date (YYYY-MM-DD). Errors name the file, line, column and field;
// unknown fields are returned as warnings, located the same way.
func ParseWaivers(name string, data []byte) (ws []Waiver, warnings []string, err error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("%s: %v", name, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil, fmt.Errorf("%s: empty file: expected an AuditWaivers document", name)
	}
	root := doc.Content[0]
	var errs []error
	at := func(n *yaml.Node, field, format string, args ...any) error {
		return fmt.Errorf("%s:%d:%d: %s: %s", name, n.Line, n.Column, field, fmt.Sprintf(format, args...))
	}
	if root.Kind != yaml.MappingNode {
		return nil, nil, at(root, "(document)", "expected a mapping with apiVersion, kind and waivers")
	}
	var list *yaml.Node
	for k, v := range mappingPairs(root) {
		switch k.Value {
		case "apiVersion":
			if v.Value != WaiversAPIVersion {
				errs = append(errs, at(v, "apiVersion", "expected %s, got %q", WaiversAPIVersion, v.Value))
			}
		case "kind":
			if v.Value != WaiversKind {
				errs = append(errs, at(v, "kind", "expected %s, got %q", WaiversKind, v.Value))
			}
		case "waivers":
			list = v
		default:
			warnings = append(warnings, at(k, k.Value, "unknown field").Error())
		}
	}
	if list == nil {
		errs = append(errs, at(root, "waivers", "missing: expected a list of waivers"))
		return nil, warnings, errors.Join(errs...)
	}
	if list.Kind != yaml.SequenceNode {
		errs = append(errs, at(list, "waivers", "expected a list"))
		return nil, warnings, errors.Join(errs...)
	}
	for i, item := range list.Content {
		field := func(f string) string { return fmt.Sprintf("waivers[%d].%s", i, f) }
		if item.Kind != yaml.MappingNode {
			errs = append(errs, at(item, fmt.Sprintf("waivers[%d]", i), "expected a mapping with kind, objects, reason and expires"))
			continue
		}
		w := Waiver{Source: policy.Location{File: name, Line: item.Line, Col: item.Column}}
		var seen []string
		for k, v := range mappingPairs(item) {
			seen = append(seen, k.Value)
			switch k.Value {
			case "kind":
				if v.Kind != yaml.ScalarNode || (Kind(v.Value).ID() == "" && kindByID(v.Value) == "") {
					errs = append(errs, at(v, field("kind"), "unknown finding kind %q: expected an ID (NR001…) or a kind name", v.Value))
					continue
				}
				w.Kind = v.Value
			case "objects":
				if v.Kind != yaml.SequenceNode {
					errs = append(errs, at(v, field("objects"), "expected a list of namespaces, objects or fingerprints"))
					continue
				}
				for j, o := range v.Content {
					if o.Kind != yaml.ScalarNode || strings.TrimSpace(o.Value) == "" {
						errs = append(errs, at(o, fmt.Sprintf("%s[%d]", field("objects"), j), "expected a namespace, an object or a fingerprint"))
						continue
					}
					w.Objects = append(w.Objects, strings.TrimSpace(o.Value))
				}
			case "reason":
				w.Reason = strings.TrimSpace(v.Value)
			case "expires":
				t, err := time.Parse(time.DateOnly, v.Value)
				if err != nil {
					errs = append(errs, at(v, field("expires"), "expected a date YYYY-MM-DD, got %q", v.Value))
					continue
				}
				w.Expires = t
			default:
				warnings = append(warnings, at(k, field(k.Value), "unknown field").Error())
			}
		}
		for _, req := range []string{"kind", "objects", "reason", "expires"} {
			if !slices.Contains(seen, req) {
				errs = append(errs, at(item, field(req), "missing"))
			}
		}
		if slices.Contains(seen, "objects") && len(w.Objects) == 0 && len(errs) == 0 {
			errs = append(errs, at(item, field("objects"), "empty: name the namespaces or objects, or \"*\" for every finding of the kind"))
		}
		if slices.Contains(seen, "reason") && w.Reason == "" {
			errs = append(errs, at(item, field("reason"), "empty: say why the findings are accepted"))
		}
		ws = append(ws, w)
	}
	if len(errs) > 0 {
		return nil, warnings, errors.Join(errs...)
	}
	return ws, warnings, nil
}

// mappingPairs iterates over the keys and values of a YAML mapping.
func mappingPairs(n *yaml.Node) func(func(k, v *yaml.Node) bool) {
	return func(yield func(k, v *yaml.Node) bool) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if !yield(n.Content[i], n.Content[i+1]) {
				return
			}
		}
	}
}

// kindByID returns the kind of an ID, "" when unknown.
func kindByID(id string) Kind {
	for _, k := range kinds {
		if k.ID == id {
			return k.Kind
		}
	}
	return ""
}

// kind returns the waiver's finding kind.
func (w *Waiver) kind() Kind {
	if k := kindByID(w.Kind); k != "" {
		return k
	}
	return Kind(w.Kind)
}

// IsExpired reports whether the waiver no longer holds on day now: its
// expiry date is before now's date (UTC).
func (w *Waiver) IsExpired(now time.Time) bool {
	y, m, d := now.UTC().Date()
	return w.Expires.Before(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// covers reports whether the waiver covers finding f.
func (w *Waiver) covers(f *Finding) bool {
	if f.Kind != w.kind() {
		return false
	}
	for _, o := range w.Objects {
		switch {
		case o == "*", o == f.Fingerprint, f.Namespace != "" && o == f.Namespace:
			return true
		case len(f.Objects) > 0 && (o == f.Objects[0].String() || o == f.Objects[0].Key()):
			return true
		}
	}
	return false
}

// applyWaivers splits findings into those that stay and those a waiver
// in force covers (each with its waiver), and returns one finding per
// expired waiver.
func applyWaivers(fs []Finding, ws []Waiver, now time.Time) (active, waived, expired []Finding) {
	if len(ws) == 0 {
		return fs, nil, nil
	}
	for i := range ws {
		w := &ws[i]
		if !w.IsExpired(now) {
			continue
		}
		f := newFinding(WaiverExpired, "", fmt.Sprintf("the waiver of %s for %s expired on %s (%s): its findings count again",
			w.Kind, strings.Join(w.Objects, ", "), w.Expires.Format(time.DateOnly), w.Reason),
			"Fix the findings it waived, or renew the waiver with a new expiry date and a reason that still holds.")
		f.Location = w.Source
		f.Affected = 1
		expired = append(expired, f)
	}
	for _, f := range fs {
		k := slices.IndexFunc(ws, func(w Waiver) bool { return !w.IsExpired(now) && w.covers(&f) })
		if k < 0 {
			active = append(active, f)
			continue
		}
		w := ws[k]
		f.Waiver = &w
		waived = append(waived, f)
	}
	return active, waived, expired
}
