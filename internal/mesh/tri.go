package mesh

import "strings"

// Tri is a three-valued match: whether a rule, or part of one, matches a
// connection. Maybe means it depends on the request (its path, method,
// headers, JWT) or on something else a manifest cannot tell.
type Tri uint8

// Match values, ordered so that a conjunction is the minimum and a
// disjunction the maximum.
const (
	False Tri = iota
	Maybe
	True
)

// String returns "no", "maybe" or "yes".
func (t Tri) String() string {
	switch t {
	case True:
		return "yes"
	case Maybe:
		return "maybe"
	}
	return "no"
}

// or is the three-valued disjunction.
func or(a, b Tri) Tri { return max(a, b) }

// either joins the outcomes of two possibilities the manifests cannot
// tell apart (the traffic on a port without a declared protocol may be
// HTTP or not): certain only when both agree.
func either(a, b Tri) Tri {
	if a == b {
		return a
	}
	return Maybe
}

// MatchString matches a value against an AuthorizationPolicy string
// pattern: exact ("abc"), prefix ("abc*"), suffix ("*abc"), or presence
// ("*", any non-empty value) [docs/mesh.md §4.4].
func MatchString(pattern, value string) bool {
	switch {
	case pattern == "*":
		return value != ""
	case strings.HasSuffix(pattern, "*"):
		return strings.HasPrefix(value, strings.TrimSuffix(pattern, "*"))
	case strings.HasPrefix(pattern, "*"):
		return strings.HasSuffix(value, strings.TrimPrefix(pattern, "*"))
	}
	return pattern == value
}
