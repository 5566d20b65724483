package reachability

import (
	"fmt"
	"net/netip"
	"strings"

	"go4.org/netipx"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/netreach/netreach/internal/policy"
)

// Selection picks endpoints and external addresses, for a view's focus.
// Its text forms:
//
//   - "namespace/name": the pod of that name, or the pods of the workload
//     of that name (any kind; "namespace/name[Deployment]" names the kind);
//   - "name": the same in every namespace;
//   - "namespace/*": every endpoint of the namespace;
//   - a pod label selector in kubectl's syntax ("app=web,tier!=db",
//     "env in (prod,staging)", "!canary"): recognised by '=', '!' or
//     " in "/" notin ";
//   - a CIDR or an address ("10.0.0.0/8", "192.0.2.1"): the endpoints with
//     an address inside it, and the external addresses inside it.
//
// The zero Selection is invalid. Selections are immutable.
type Selection struct {
	text     string
	kind     selectionKind
	ns, name string
	wlKind   string // "Deployment" in "ns/name[Deployment]"
	sel      labels.Selector
	prefix   netip.Prefix
}

type selectionKind uint8

const (
	selInvalid selectionKind = iota
	selName
	selNamespace
	selLabels
	selPrefix
)

// ParseSelection reads a selection (see [Selection]).
func ParseSelection(s string) (Selection, error) {
	text := strings.TrimSpace(s)
	out := Selection{text: text}
	if text == "" {
		return out, fmt.Errorf("ParseSelection(%q): empty", s)
	}
	if strings.ContainsAny(text, "=!") || strings.Contains(text, " in ") || strings.Contains(text, " notin ") {
		sel, err := labels.Parse(text)
		if err != nil {
			return out, fmt.Errorf("ParseSelection(%q): invalid label selector: %v", s, err)
		}
		out.kind, out.sel = selLabels, sel
		return out, nil
	}
	if p, err := netip.ParsePrefix(text); err == nil {
		if p.Masked() != p {
			return out, fmt.Errorf("ParseSelection(%q): CIDR has host bits set; did you mean %s?", s, p.Masked())
		}
		out.kind, out.prefix = selPrefix, p
		return out, nil
	}
	if a, err := netip.ParseAddr(text); err == nil {
		a = a.Unmap()
		out.kind, out.prefix = selPrefix, netip.PrefixFrom(a, a.BitLen())
		return out, nil
	}
	name := text
	if i := strings.IndexByte(name, '['); i >= 0 {
		if !strings.HasSuffix(name, "]") || i == 0 {
			return out, fmt.Errorf("ParseSelection(%q): expected namespace/name[Kind]", s)
		}
		out.wlKind = name[i+1 : len(name)-1]
		name = name[:i]
	}
	ns, n, hasNS := strings.Cut(name, "/")
	if !hasNS {
		ns, n = "", name
	}
	if n == "" || hasNS && ns == "" || strings.ContainsAny(n, "/ ,()") || strings.ContainsAny(ns, " *,()") {
		return out, fmt.Errorf("ParseSelection(%q): expected namespace/name, namespace/*, name, a label selector (app=web) or a CIDR", s)
	}
	if n == "*" {
		if out.wlKind != "" || ns == "" {
			return out, fmt.Errorf("ParseSelection(%q): expected namespace/*", s)
		}
		out.kind, out.ns = selNamespace, ns
		return out, nil
	}
	out.kind, out.ns, out.name = selName, ns, n
	return out, nil
}

// MustParseSelection is ParseSelection for tests and package variables: it
// panics on an error.
func MustParseSelection(s string) Selection {
	sel, err := ParseSelection(s)
	if err != nil {
		panic(err)
	}
	return sel
}

// String returns the selection as it was given.
func (s Selection) String() string { return s.text }

// IsValid reports whether the selection was parsed.
func (s Selection) IsValid() bool { return s.kind != selInvalid }

// MatchesEndpoint reports whether the selection picks the endpoint.
func (s Selection) MatchesEndpoint(e *policy.Endpoint) bool {
	switch s.kind {
	case selName:
		if s.ns != "" && e.Namespace != s.ns {
			return false
		}
		if e.Name == s.name && (s.wlKind == "" || s.wlKind == e.Kind) {
			return true
		}
		kind, name, ok := strings.Cut(e.Workload, "/")
		return ok && name == s.name && (s.wlKind == "" || s.wlKind == kind)
	case selNamespace:
		return e.Namespace == s.ns
	case selLabels:
		return s.sel.Matches(labels.Set(e.Labels))
	case selPrefix:
		for _, ip := range e.IPs {
			if s.prefix.Contains(ip) {
				return true
			}
		}
	}
	return false
}

// matchesDerived reports whether the selection picks a derived entry: by
// its name ("{internet}", or "namespace/name" of "namespace/name[Service]"),
// or by its namespace ("namespace/*").
func (s Selection) matchesDerived(d DerivedEntry) bool {
	name, _, _ := strings.Cut(d.Name, "[")
	switch s.kind {
	case selName:
		full := s.name
		if s.ns != "" {
			full = s.ns + "/" + s.name
		}
		return (name == full || s.ns == "" && strings.HasSuffix(name, "/"+s.name)) && (s.wlKind == "" || s.wlKind == d.Kind)
	case selNamespace:
		return d.Namespace == s.ns
	}
	return false
}

// Prefix returns the CIDR of an address selection; ok is false for other
// selections.
func (s Selection) Prefix() (p netip.Prefix, ok bool) { return s.prefix, s.kind == selPrefix }

// focusAddresses returns the addresses the selections pick, or nil when
// none is an address selection.
func focusAddresses(sels []Selection) *netipx.IPSet {
	var b netipx.IPSetBuilder
	any := false
	for _, s := range sels {
		if p, ok := s.Prefix(); ok {
			b.AddPrefix(p)
			any = true
		}
	}
	if !any {
		return nil
	}
	set, _ := b.IPSet()
	return set
}
