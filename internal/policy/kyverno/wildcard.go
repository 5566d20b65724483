package kyverno

// wildcardMatch reports whether s matches pattern, where '*' stands for
// any sequence of characters (also none) and '?' for exactly one, as in
// Kyverno's names, namespaces, selectors and string conditions. An empty
// pattern matches only the empty string. It runs in O(len(pattern) ×
// len(s)) at worst (the classic backtracking over the last star), so
// untrusted patterns cannot blow up.
func wildcardMatch(pattern, s string) bool {
	p, t := []rune(pattern), []rune(s)
	pi, ti := 0, 0
	star, mark := -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// hasWildcard reports whether s holds '*' or '?'.
func hasWildcard(s string) bool {
	for _, c := range s {
		if c == '*' || c == '?' {
			return true
		}
	}
	return false
}
