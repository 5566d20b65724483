package checkout

import (
	"bufio"
	"fmt"
	"io"

	"github.com/netreach/netreach/internal/expect"
)

// WriteText writes the report for people: one line per passing check, and
// for each check that did not pass what it demands, up to MaxExamples
// offending flows, the cause and the explain trace of the first one; then
// a summary line.
func WriteText(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# %s\n", r.Options)
	for i := range r.Results {
		res := &r.Results[i]
		switch res.Status {
		case expect.Pass:
			fmt.Fprintf(bw, "PASS   %s\n", res.Rule.Name)
		case expect.Fail:
			fmt.Fprintf(bw, "FAIL   %s\n", res.Rule.Name)
			writeResultDetail(bw, res, r.MaxExamples, "       ")
		default:
			fmt.Fprintf(bw, "ERROR  %s\n", res.Rule.Name)
			writeResultDetail(bw, res, r.MaxExamples, "       ")
		}
	}
	if d := r.Drift; d != nil {
		if d.IsEmpty() {
			fmt.Fprintf(bw, "PASS   %s (%s level)\n", goldenName(d), d.Level)
			for _, n := range d.Notes {
				fmt.Fprintf(bw, "       note: %s\n", n)
			}
		} else {
			fmt.Fprintf(bw, "FAIL   %s (%s level): %s\n", goldenName(d), d.Level, driftHeadline(d))
			writeDriftDetail(bw, d, r.MaxExamples, "       ")
		}
	}
	fmt.Fprintln(bw, r.Summary())
	return bw.Flush()
}
