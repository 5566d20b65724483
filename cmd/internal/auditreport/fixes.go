package auditreport

import (
	"bufio"
	"fmt"

	"github.com/netreach/netreach/internal/audit/fix"
)

// maxMarkdownFixes bounds the fixes the Markdown lists; the JSON report
// and the --fixes directory hold them all.
const maxMarkdownFixes = 30

// writeFixesMarkdown writes the fixes section: one line per fix with the
// flows it closes and opens and the expectations it breaks, then the
// count of findings without a mechanical fix. Nothing is written when the
// document has no fixes (audit run without --fixes).
func writeFixesMarkdown(b *bufio.Writer, d *Document) {
	r := d.Fixes
	if r == nil {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("## Fixes\n\n")
	if d.FixesDir != "" {
		p("Patches written to `%s` (one file per fix, ready for `kubectl apply -f`; index in `%s`). ", cell(d.FixesDir), fix.IndexFile)
	}
	p("Each was applied to the input and the matrix computed again: closed and opened count pod pairs whose flows change.\n\n")
	if len(r.Fixes) == 0 {
		p("No finding has a mechanical fix.\n\n")
	} else {
		p("| fix | what it does | findings | closes | opens | breaks expectations |\n| --- | --- | --- | ---: | ---: | --- |\n")
		for i, fx := range r.Fixes {
			if i == maxMarkdownFixes {
				p("\n… and %d more fixes.\n", len(r.Fixes)-maxMarkdownFixes)
				break
			}
			var ids string
			for j, f := range fx.Findings {
				if j > 0 {
					ids += ", "
				}
				ids += fmt.Sprintf("%s #%d", f.ID, f.Index+1)
			}
			closes, opens, breaks := "?", "?", cell(fx.NotVerified)
			if e := fx.Effect; e != nil {
				closes, opens, breaks = itoa64(e.Closed.Pairs), itoa64(e.Opened.Pairs), "none"
				if len(e.Breaks) > 0 {
					breaks = "**"
					for j, br := range e.Breaks {
						if j > 0 {
							breaks += ", "
						}
						breaks += cell(br.Rule)
					}
					breaks += "**"
				}
			}
			p("| `%s` | %s | %s | %s | %s | %s |\n", cell(fx.ID), cell(fx.Title), ids, closes, opens, breaks)
		}
		p("\n")
	}
	n := 0
	for _, e := range r.Entries {
		if len(e.Reasons()) > 0 {
			n++
		}
	}
	switch {
	case n == 1:
		p("1 finding of a kind that can have a fix has none (or not in every namespace); the JSON report says why.\n\n")
	case n > 1:
		p("%d findings of kinds that can have a fix have none (or not in every namespace); the JSON report says why for each.\n\n", n)
	}
}

func itoa64(n int64) string { return fmt.Sprint(n) }
