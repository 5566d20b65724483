package audit

import (
	iaudit "github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/enumtext"
	"github.com/netreach/netreach/internal/public"
	"github.com/netreach/netreach/policy"
)

// Finding is one thing to look at or fix. Its JSON form has the fields
// of the findings `netreach audit -o json` writes (the risk under
// "severity"), so the findings of a report written by the command can be
// decoded into Findings, as a [Options.Baseline] for instance.
type Finding struct {
	// ID is the kind's stable ID, such as "NR005".
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	Risk Risk   `json:"severity"`
	// Namespaces are the namespaces the finding is about; empty for
	// findings about cluster-wide objects.
	Namespaces []string `json:"namespaces,omitempty"`
	// Affected counts what the finding reaches: allowed pod pairs for
	// flow findings, endpoints for the others (the pods a policy applies
	// to, for findings about a policy's rules).
	Affected int64 `json:"affected,omitempty"`
	// Message says what is wrong and Remedy what to do about it, in one
	// line each.
	Message string `json:"message"`
	Remedy  string `json:"remedy"`
	// Location is where to look: the line of the rule or field when the
	// finding is about one, else where the first object was read; the
	// zero Location when unknown (objects given in code).
	Location policy.Location `json:"location,omitzero"`
	// Objects are the objects involved: pods, policies, namespaces.
	Objects []policy.ObjectRef `json:"objects,omitempty"`
	// Rule is the rule the finding is about (a shadowed or redundant
	// rule, a wide CIDR); nil for findings about no single rule.
	Rule *policy.RuleRef `json:"rule,omitempty"`
	// Evidence holds sample flows and the rules that decided them, one
	// line each.
	Evidence []string `json:"evidence,omitempty"`
	// Fingerprint identifies the finding across runs, "NR003:1a2b3c4d5e6f":
	// the kind's ID and a hash of what it is about (never counts, pod
	// names or line numbers).
	Fingerprint string `json:"fingerprint"`
	// Status compares the finding with [Options.Baseline]; empty without
	// one.
	Status Status `json:"status,omitempty"`
	// Waiver is the waiver that covers the finding, for the findings of
	// [Report.Waived].
	Waiver *Waiver `json:"waiver,omitempty"`
}

// String returns "NR003 high: message".
func (f Finding) String() string { return f.ID + " " + f.Risk.String() + ": " + f.Message }

// Kind names what a [Finding] is about, such as "no-default-deny" or
// "cross-tenant-flow". The names are stable; [Kinds] lists them all.
type Kind string

// KindInfo describes a finding kind.
type KindInfo struct {
	// ID is the kind's stable ID ("NR003").
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	// Risk is the kind's risk: the risk of its findings, except for the
	// kinds whose findings are graded by what they reach.
	Risk Risk `json:"severity"`
	// Title is a short noun phrase ("Namespace without default deny").
	Title string `json:"title"`
	// Description says, in a few sentences, what the kind means and why
	// it matters; Remedy is the generic fix (each finding carries a
	// specific one).
	Description string `json:"description"`
	Remedy      string `json:"remedy"`
}

// Kinds returns every finding kind, in ID order.
func Kinds() []KindInfo {
	in := iaudit.Kinds()
	out := make([]KindInfo, len(in))
	for i, k := range in {
		out[i] = KindInfo{ID: k.ID, Kind: Kind(k.Kind), Risk: Risk(k.Severity), Title: k.Title, Description: k.Description, Remedy: k.Remedy}
	}
	return out
}

// Risk grades a [Finding] by what it exposes. It is not a
// [policy.Severity], which grades diagnostics of the input. The zero
// value is [Info]; the levels are ordered, so `f.Risk >= audit.High`
// selects the high and critical findings.
type Risk uint8

// The risk levels, least serious first.
const (
	// Info is context a reviewer should know but need not act on.
	Info Risk = iota
	// Low is a weakness worth fixing when convenient.
	Low
	// Medium is exposure or a policy mistake that should be fixed.
	Medium
	// High is a likely misconfiguration or broad exposure.
	High
	// Critical breaks an isolation boundary (between tenants).
	Critical
)

// String returns "info", "low", "medium", "high" or "critical".
func (r Risk) String() string { return iaudit.Severity(r).String() }

// MarshalText returns the risk as String does.
func (r Risk) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (r *Risk) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(r, b, Info, Low, Medium, High, Critical)
}

// Status says how a finding compares with [Options.Baseline].
type Status string

// The statuses of findings against a baseline.
const (
	// StatusNew: the baseline has no finding with this fingerprint.
	StatusNew Status = "new"
	// StatusUnchanged: the baseline has a finding with this fingerprint.
	StatusUnchanged Status = "unchanged"
	// StatusFixed: a finding of the baseline that this run no longer has
	// (see [Report.Fixed]).
	StatusFixed Status = "fixed"
)

func findingsFrom(in []iaudit.Finding) []Finding {
	out := make([]Finding, len(in))
	for i := range in {
		out[i] = findingFrom(&in[i])
	}
	return out
}

func findingFrom(f *iaudit.Finding) Finding {
	out := Finding{
		ID:          f.ID,
		Kind:        Kind(f.Kind),
		Risk:        Risk(f.Severity),
		Namespaces:  f.Namespaces,
		Affected:    f.Affected,
		Message:     f.Message,
		Remedy:      f.Remedy,
		Location:    public.Location(f.PrimaryLocation()),
		Evidence:    f.Evidence,
		Fingerprint: f.Fingerprint,
		Status:      Status(f.Status),
	}
	if len(out.Namespaces) == 0 && f.Namespace != "" {
		out.Namespaces = []string{f.Namespace}
	}
	for _, o := range f.Objects {
		out.Objects = append(out.Objects, public.ObjectRef(o))
	}
	if f.Rule != nil && len(out.Objects) > 0 {
		out.Rule = &policy.RuleRef{Policy: out.Objects[0], Direction: policy.Direction(f.Rule.Direction), Index: f.Rule.Index, Location: out.Location}
	}
	if f.Waiver != nil {
		w := waiverFrom(f.Waiver)
		out.Waiver = &w
	}
	return out
}
