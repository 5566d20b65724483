// Package sarifloc turns netreach locations into SARIF 2.1.0 locations with
// repository-relative URIs, and rule ids into rule names, for the check and
// audit reports.
package sarifloc

import (
	"path/filepath"
	"strings"
	"unicode"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/netreach/netreach/internal/policy"
)

// URI returns a file's SARIF URI: a relative path with forward slashes,
// relative to base for absolute paths under it, else a file URI.
func URI(base, file string) string {
	if filepath.IsAbs(file) {
		if base != "" {
			if rel, err := filepath.Rel(base, file); err == nil && !strings.HasPrefix(rel, "..") {
				return filepath.ToSlash(rel)
			}
		}
		return "file://" + filepath.ToSlash(file)
	}
	return filepath.ToSlash(filepath.Clean(file))
}

// Location returns the SARIF location of l (file, line, column), with an
// optional message.
func Location(base string, l policy.Location, message string) *sarif.Location {
	art := sarif.NewArtifactLocation().WithURI(URI(base, l.File))
	phys := sarif.NewPhysicalLocation().WithArtifactLocation(art)
	if l.Line > 0 {
		reg := sarif.NewRegion().WithStartLine(l.Line)
		if l.Col > 0 {
			reg.WithStartColumn(l.Col)
		}
		phys.WithRegion(reg)
	}
	loc := sarif.NewLocationWithPhysicalLocation(phys)
	if message != "" {
		loc.WithMessage(sarif.NewTextMessage(message))
	}
	return loc
}

// RuleName turns a kebab-case rule id ("cross-tenant-flow") into
// "CrossTenantFlow", the form SARIF suggests for reportingDescriptor.name.
func RuleName(id string) string {
	var b strings.Builder
	up := true
	for _, c := range id {
		if c == '-' {
			up = true
			continue
		}
		if up {
			c = unicode.ToUpper(c)
			up = false
		}
		b.WriteRune(c)
	}
	return b.String()
}
