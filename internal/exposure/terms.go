package exposure

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"go4.org/netipx"
)

// Operator is the comparison of a [Requirement].
type Operator uint8

// Operators: kubectl's set-based selector vocabulary, plus Calico's string
// comparisons and their negations. Every operator but DoesNotExist,
// NotIn and the Not… ones needs the key to be present.
const (
	Exists Operator = iota
	DoesNotExist
	In
	NotIn
	Contains
	NotContains
	StartsWith
	NotStartsWith
	EndsWith
	NotEndsWith
)

// Requirement is one condition on a label set (or on a name, with an empty
// Key).
type Requirement struct {
	Key      string   `json:"key"`
	Operator Operator `json:"operator"`
	Values   []string `json:"values,omitempty"`
}

var operatorNames = [...]string{Exists: "Exists", DoesNotExist: "DoesNotExist", In: "In", NotIn: "NotIn",
	Contains: "Contains", NotContains: "NotContains", StartsWith: "StartsWith", NotStartsWith: "NotStartsWith",
	EndsWith: "EndsWith", NotEndsWith: "NotEndsWith"}

// String returns the operator's name, as in Kubernetes label selectors
// ("In", "DoesNotExist") and "Contains", "NotStartsWith"….
func (o Operator) String() string {
	if int(o) < len(operatorNames) {
		return operatorNames[o]
	}
	return "Operator(" + strconv.Itoa(int(o)) + ")"
}

// MarshalText returns the operator's name.
func (o Operator) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// Matches reports whether the label set (or, for an empty Key, the
// present value name) satisfies the requirement.
func (r Requirement) Matches(labels map[string]string) bool {
	v, ok := labels[r.Key]
	switch r.Operator {
	case Exists:
		return ok
	case DoesNotExist:
		return !ok
	case In:
		return ok && slices.Contains(r.Values, v)
	case NotIn:
		return !ok || !slices.Contains(r.Values, v)
	case Contains:
		return ok && strings.Contains(v, r.Values[0])
	case NotContains:
		return !ok || !strings.Contains(v, r.Values[0])
	case StartsWith:
		return ok && strings.HasPrefix(v, r.Values[0])
	case NotStartsWith:
		return !ok || !strings.HasPrefix(v, r.Values[0])
	case EndsWith:
		return ok && strings.HasSuffix(v, r.Values[0])
	case NotEndsWith:
		return !ok || !strings.HasSuffix(v, r.Values[0])
	}
	return false
}

// String writes the requirement as kubectl reads selectors ("app=web",
// "app!=web", "app in (a,b)", "app notin (a,b)", "app", "!app"), and
// Calico's string comparisons as Calico writes them ("app contains 'x'",
// "!(app starts with 'x')"). An empty key is written "name".
func (r Requirement) String() string {
	k := r.Key
	if k == "" {
		k = "name"
	}
	q := func(s string) string { return "'" + s + "'" }
	switch r.Operator {
	case Exists:
		return k
	case DoesNotExist:
		return "!" + k
	case In:
		if len(r.Values) == 1 {
			return k + "=" + r.Values[0]
		}
		return k + " in (" + strings.Join(r.Values, ",") + ")"
	case NotIn:
		if len(r.Values) == 1 {
			return k + "!=" + r.Values[0]
		}
		return k + " notin (" + strings.Join(r.Values, ",") + ")"
	case Contains:
		return k + " contains " + q(r.Values[0])
	case NotContains:
		return "!(" + k + " contains " + q(r.Values[0]) + ")"
	case StartsWith:
		return k + " starts with " + q(r.Values[0])
	case NotStartsWith:
		return "!(" + k + " starts with " + q(r.Values[0]) + ")"
	case EndsWith:
		return k + " ends with " + q(r.Values[0])
	case NotEndsWith:
		return "!(" + k + " ends with " + q(r.Values[0]) + ")"
	}
	return "?"
}

func requirementsString(rs []Requirement) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.String()
	}
	return "{" + strings.Join(s, ", ") + "}"
}

func allMatch(rs []Requirement, labels map[string]string) bool {
	for _, r := range rs {
		if !r.Matches(labels) {
			return false
		}
	}
	return true
}

// NamespaceMatch says which namespaces a term covers: the listed ones, or
// those whose labels (kubernetes.io/metadata.name included) satisfy the
// selector, except the listed exceptions. A namespace the input does not
// hold is judged by the labels the new pod's creator gives it.
type NamespaceMatch struct {
	Names    []string      `json:"names,omitempty"`
	Selector []Requirement `json:"selector,omitempty"`
	Except   []string      `json:"except,omitempty"`
}

// Matches reports whether a namespace with that name and labels is
// covered.
func (n *NamespaceMatch) Matches(name string, labels map[string]string) bool {
	if n == nil {
		return true
	}
	if len(n.Names) > 0 {
		return slices.Contains(n.Names, name)
	}
	return allMatch(n.Selector, labels) && !slices.Contains(n.Except, name)
}

// String returns "namespace a", "namespaces a, b", "namespaces matching
// {team=x}" or "namespaces matching {team=x} except a".
func (n *NamespaceMatch) String() string {
	switch {
	case len(n.Names) == 1:
		return "namespace " + n.Names[0]
	case len(n.Names) > 1:
		return "namespaces " + strings.Join(n.Names, ", ")
	}
	s := "namespaces matching " + requirementsString(n.Selector)
	if len(n.Selector) == 0 {
		s = "any namespace"
	}
	if len(n.Except) > 0 {
		s += " except " + strings.Join(n.Except, ", ")
	}
	return s
}

// AddressMatch says which addresses of one family a term covers: those in
// Ranges, and, with None, pods without an address of the family.
type AddressMatch struct {
	Ranges []netipx.IPRange `json:"ranges,omitempty"`
	None   bool             `json:"none,omitempty"`
}

// Matches reports whether the address (invalid: none of the family) is
// covered.
func (a *AddressMatch) Matches(ip netip.Addr, has bool) bool {
	if a == nil {
		return true
	}
	if !has {
		return a.None
	}
	for _, r := range a.Ranges {
		if r.Contains(ip) {
			return true
		}
	}
	return false
}

func (a *AddressMatch) describe(family string) string {
	var parts []string
	for _, r := range a.Ranges {
		parts = append(parts, rangeString(r))
	}
	switch {
	case len(parts) == 0:
		return "without an " + family + " address"
	case a.None:
		return "with an " + family + " address in " + strings.Join(parts, ", ") + " or none"
	}
	return "with an " + family + " address in " + strings.Join(parts, ", ")
}

// rangeString writes a range as a CIDR when it is one, else first-last.
func rangeString(r netipx.IPRange) string {
	if p, ok := r.Prefix(); ok {
		return p.String()
	}
	return r.From().String() + "-" + r.To().String()
}

// Term is a set of hypothetical pods: those that satisfy every part
// (a nil part is no condition).
type Term struct {
	// Namespaces is where the pods are.
	Namespaces *NamespaceMatch `json:"namespaces,omitempty"`
	// Labels are conditions on the pods' labels.
	Labels []Requirement `json:"labels,omitempty"`
	// ServiceAccount holds conditions on the service account: its name
	// (an empty Key) and labels.
	ServiceAccount []Requirement `json:"serviceAccount,omitempty"`
	// Node holds conditions on the node name (an empty Key).
	Node []Requirement `json:"node,omitempty"`
	// IPv4 and IPv6 are conditions on the pods' addresses.
	IPv4 *AddressMatch `json:"ipv4,omitempty"`
	IPv6 *AddressMatch `json:"ipv6,omitempty"`
}

// IsAll reports whether the term has no condition: the entire cluster.
func (t *Term) IsAll() bool {
	return t.Namespaces == nil && len(t.Labels) == 0 && len(t.ServiceAccount) == 0 && len(t.Node) == 0 && t.IPv4 == nil && t.IPv6 == nil
}

// String describes the term: "entire cluster", "entire cluster except
// namespace a", "any pod in namespaces matching {team=x}", "pods matching
// {app=web} in namespace shop", with the service account, node and
// address conditions after it.
func (t *Term) String() string {
	if t.IsAll() {
		return "entire cluster"
	}
	var b strings.Builder
	ns := t.Namespaces
	switch {
	case ns != nil && len(ns.Names) == 0 && len(ns.Selector) == 0 && len(t.Labels) == 0:
		// Only exceptions: say it from the whole cluster's side.
		b.WriteString("entire cluster except namespace")
		if len(ns.Except) > 1 {
			b.WriteString("s")
		}
		b.WriteString(" " + strings.Join(ns.Except, ", "))
	case len(t.Labels) > 0:
		b.WriteString("pods matching " + requirementsString(t.Labels))
		if ns == nil {
			b.WriteString(" in any namespace")
		} else {
			b.WriteString(" in " + ns.String())
		}
	case ns != nil:
		b.WriteString("any pod in " + ns.String())
	default:
		b.WriteString("any pod")
	}
	b.WriteString(t.clauses())
	return b.String()
}

// clauses writes the service account, node and address conditions.
func (t *Term) clauses() string {
	var b strings.Builder
	if len(t.ServiceAccount) > 0 {
		b.WriteString(", with a service account matching " + requirementsString(t.ServiceAccount))
	}
	if len(t.Node) > 0 {
		b.WriteString(", on a node matching " + requirementsString(t.Node))
	}
	if t.IPv4 != nil {
		b.WriteString(", " + t.IPv4.describe("IPv4"))
	}
	if t.IPv6 != nil {
		b.WriteString(", " + t.IPv6.describe("IPv6"))
	}
	return b.String()
}
