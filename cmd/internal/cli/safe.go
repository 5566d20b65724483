package cli

import (
	"strings"

	"github.com/spf13/cobra"

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

// isJSONFormat reports whether an output format is JSON (json, sarif, and
// any format named after JSON, such as jsonl): its unsafe characters are
// written as JSON \u escapes, which keep the data. Every other format
// (text, tables, CSV, Markdown, HTML, JUnit XML) shows them as visible Go
// escapes.
func isJSONFormat(format string) bool {
	return format == "sarif" || strings.Contains(format, "json")
}

// escapeOutput makes the command about to run write its standard output
// through a safetext.Writer in the style of its -o format, and its
// standard error in the visible style, so that no name, label or kind from
// the input can take over a terminal or a CI log, whatever the writer of
// the format does. e.flush flushes both.
func (e *env) escapeOutput(c *cobra.Command) {
	style := safetext.Visible
	if fl := c.Flags().Lookup("output"); fl != nil && isJSONFormat(fl.Value.String()) {
		style = safetext.JSON
	}
	out := safetext.NewWriter(e.stdout, style)
	errw := safetext.NewWriter(e.stderr, safetext.Visible)
	e.stdout, e.stderr = out, errw
	e.flush = func() {
		_ = out.Flush() // an error is the checked writer's
		_ = errw.Flush()
	}
}
