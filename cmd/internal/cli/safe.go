package cli

import (
	"strings"

	"github.com/netreach/netreach/internal/safetext"
)

// safeLines escapes untrusted text for a terminal with safetext.Line, line
// by line, keeping the line breaks of a message made of several lines.
func safeLines(s string) string {
	if !safetext.Needs(strings.ReplaceAll(s, "\n", "")) {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = safetext.Line(l)
	}
	return strings.Join(lines, "\n")
}
