package audit

import (
	"cmp"
	"slices"
	"strings"

	"github.com/netreach/netreach/internal/policy"
)

// Finding is one thing to look at or fix.
type Finding struct {
	// ID is the kind's stable ID, such as "NR005".
	ID       string   `json:"id"`
	Kind     Kind     `json:"kind"`
	Severity Severity `json:"severity"`
	// Namespace is the namespace the finding is about; empty for
	// findings about cluster-wide objects.
	Namespace string `json:"namespace,omitempty"`
	// Namespaces lists the namespaces a finding about several of them
	// concerns (one finding per kind for the per-namespace kinds): those
	// that need the remedy.
	Namespaces []string `json:"namespaces,omitempty"`
	// Affected counts what the finding reaches: allowed pod pairs for
	// flow findings, endpoints for the others (the pods a policy applies
	// to, for findings about a policy's rules).
	Affected int64 `json:"affected,omitempty"`
	// Message says what is wrong, in one line.
	Message string `json:"message"`
	// Remedy says what to do about it, in one line.
	Remedy string `json:"remedy"`
	// Location is where to look, when it is more precise than the
	// objects' own locations (the line of a rule or of a field).
	Location policy.Location `json:"location,omitzero"`
	// Excerpt holds the lines of the input around the primary location
	// (three before and three after), when the file can be read.
	Excerpt *Excerpt `json:"excerpt,omitempty"`
	// Rule names the rule of the first object the finding is about, for
	// findings about one rule.
	Rule *RuleRef `json:"rule,omitempty"`
	// Field is the path of the field a finding about one field names
	// (NR013): "spec.ingress[0].from[0].ports".
	Field string `json:"field,omitempty"`
	// BlockedAt says, for a finding about flows that policies block
	// (NR014), which side blocks them: Egress for the pods' own egress
	// policies, Ingress for the destinations' ingress policies.
	BlockedAt *policy.Direction `json:"blockedAt,omitempty"`
	// Objects are the objects involved: pods, policies, namespaces. Their
	// Source locates them in the input.
	Objects []policy.ObjectRef `json:"objects,omitempty"`
	// Fingerprint identifies the finding across runs: the kind's ID and
	// a hash of what it is about (see [Baseline]); "NR003:1a2b3c4d5e6f".
	Fingerprint string `json:"fingerprint"`
	// Status compares the finding with the baseline, when one is given.
	Status Status `json:"status,omitempty"`
	// Waiver is the waiver that covers the finding, for the report's
	// Waived findings.
	Waiver *Waiver `json:"waiver,omitempty"`
	// Evidence holds sample flows and the rules that decided them, one
	// line each.
	Evidence []string `json:"evidence,omitempty"`
}

// RuleRef names one rule of a policy: its direction and its index in the
// policy's list of rules of that direction.
type RuleRef struct {
	Direction policy.Direction `json:"direction"`
	Index     int              `json:"index"`
}

func ruleRef(r policy.RuleRef) *RuleRef { return &RuleRef{Direction: r.Dir, Index: r.Index} }

// PrimaryLocation returns the finding's most precise location: Location
// when known, else the first object's source, else the zero Location.
func (f *Finding) PrimaryLocation() policy.Location {
	if f.Location.IsValid() {
		return f.Location
	}
	for _, o := range f.Objects {
		if o.Source.IsValid() {
			return o.Source
		}
	}
	return policy.Location{}
}

func newFinding(k Kind, ns, msg, remedy string) Finding {
	info := k.Info()
	return Finding{ID: info.ID, Kind: k, Severity: info.Severity, Namespace: ns, Message: msg, Remedy: remedy}
}

// sortFindings orders findings by severity (most serious first), ID,
// namespace, the objects' keys, then message.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := cmp.Compare(b.Severity, a.Severity); c != 0 {
			return c
		}
		if c := cmp.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		if c := cmp.Compare(objectsKey(a.Objects), objectsKey(b.Objects)); c != 0 {
			return c
		}
		return cmp.Compare(a.Message, b.Message)
	})
}

func objectsKey(os []policy.ObjectRef) string {
	var b strings.Builder
	for _, o := range os {
		b.WriteString(o.Key())
		b.WriteByte(0)
	}
	return b.String()
}

// CountBySeverity returns how many findings have each severity, indexed by
// Severity.
func CountBySeverity(fs []Finding) [Critical + 1]int {
	var n [Critical + 1]int
	for _, f := range fs {
		if f.Severity <= Critical {
			n[f.Severity]++
		}
	}
	return n
}

// AtLeast reports whether some finding has severity s or above.
func AtLeast(fs []Finding, s Severity) bool {
	for _, f := range fs {
		if f.Severity >= s {
			return true
		}
	}
	return false
}
