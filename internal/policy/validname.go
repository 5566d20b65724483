package policy

import "k8s.io/apimachinery/pkg/util/validation"

// The API server's name and label checks (k8s.io/apimachinery
// validation) run regular expressions, which cost more than the rest of
// reading a pod. The functions below answer the common case — a valid
// name — with a plain scan, and call the upstream check (for its exact
// messages) whenever the scan cannot tell at once that the value is valid.
// They accept a subset of what upstream accepts, which
// TestValidationShortcuts checks.

// isLowerAlnum reports whether c is [a-z0-9].
func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// isAlnum reports whether c is [A-Za-z0-9].
func isAlnum(c byte) bool { return isLowerAlnum(c) || c >= 'A' && c <= 'Z' }

// simpleDNSLabel reports whether s is [a-z0-9]([-a-z0-9]*[a-z0-9])? of at
// most max bytes.
func simpleDNSLabel(s string, max int) bool {
	if s == "" || len(s) > max || !isLowerAlnum(s[0]) || !isLowerAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isLowerAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

// simpleDNSSubdomain reports whether s is a valid DNS-1123 subdomain:
// dot-separated DNS labels, at most 253 bytes.
func simpleDNSSubdomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if !simpleDNSLabel(s[start:i], 253) {
				return false
			}
			start = i + 1
		}
	}
	return true
}

// simpleLabelName reports whether s is ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
// of at most 63 bytes, the name part of a label key and a non-empty label value.
func simpleLabelName(s string) bool {
	if s == "" || len(s) > 63 || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// isDNS1123Label is validation.IsDNS1123Label.
func isDNS1123Label(s string) []string {
	if simpleDNSLabel(s, 63) {
		return nil
	}
	return validation.IsDNS1123Label(s)
}

// isDNS1123Subdomain is validation.IsDNS1123Subdomain.
func isDNS1123Subdomain(s string) []string {
	if simpleDNSSubdomain(s) {
		return nil
	}
	return validation.IsDNS1123Subdomain(s)
}

// isQualifiedName is validation.IsQualifiedName (label keys).
func isQualifiedName(s string) []string {
	name := s
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			if !simpleDNSSubdomain(s[:i]) {
				return validation.IsQualifiedName(s)
			}
			name = s[i+1:]
			break
		}
	}
	if simpleLabelName(name) {
		return nil
	}
	return validation.IsQualifiedName(s)
}

// isValidLabelValue is validation.IsValidLabelValue.
func isValidLabelValue(s string) []string {
	if s == "" || simpleLabelName(s) {
		return nil
	}
	return validation.IsValidLabelValue(s)
}
