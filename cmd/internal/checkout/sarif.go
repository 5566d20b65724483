package checkout

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/netreach/netreach/cmd/internal/sarifloc"
	"github.com/netreach/netreach/internal/expect"
	"github.com/netreach/netreach/internal/policy"
)

// InformationURI is the tool's home, written into SARIF.
const InformationURI = "https://github.com/netreach/netreach"

// WriteSARIF writes the report as SARIF 2.1.0 for code-scanning UIs: one
// result per rule that did not pass (and one for a drifted golden matrix),
// at level error. An unwanted allow is located at the policy rule that
// allowed the first offending flow, with the expectation as a related
// location; a missing allow at the expectation, with the rule or policy
// that denied as a related location. Each expectation is a SARIF rule
// whose id is derived from its name.
func WriteSARIF(w io.Writer, r *Report) error {
	run := sarif.NewRunWithInformationURI("netreach", InformationURI)
	run.Tool.Driver.WithVersion(r.Version).WithFullName("netreach " + r.Version)
	run.WithColumnKind("unicodeCodePoints")
	run.WithProperties(sarif.NewPropertyBag().Add("options", r.Options))
	ids := ruleIDs(r.Results)
	for i := range r.Results {
		res := &r.Results[i]
		if res.Status == expect.Pass {
			continue
		}
		id := ids[i]
		desc := res.Rule.Description
		if desc == "" {
			desc = ruleSummary(res.Rule)
		}
		run.AddRule(id).WithName(sarifloc.RuleName(strings.TrimPrefix(id, "expect/"))).WithDescription(res.Rule.Name).
			WithFullDescription(sarif.NewMultiformatMessageString().WithText(desc)).
			WithHelp(sarif.NewMultiformatMessageString().WithText(ruleSummary(res.Rule)))
		msg := fmt.Sprintf("Expectation %q failed: %s.", res.Rule.Name, headline(res))
		if res.Status == expect.Error {
			msg = fmt.Sprintf("Expectation %q cannot be evaluated: %s.", res.Rule.Name, headline(res))
		}
		if res.Cause != nil {
			msg += " " + sentence(res.Cause.Text) + "."
		}
		primary, related, relatedText := resultLocations(res)
		result := run.CreateResultForRule(id).WithLevel(sarif.LevelError).WithKind("fail").
			WithMessage(sarif.NewTextMessage(msg)).
			WithProperties(sarif.NewPropertyBag().Add("expectation", res.Rule.Name).Add("failure", failureKind(res)).
				Add("violations", res.NumViolations))
		result.AddLocation(r.sarifLocation(primary, ""))
		if related != nil {
			result.AddRelatedLocation(r.sarifLocation(*related, relatedText).WithID(1))
		}
	}
	if d := r.Drift; d != nil && !d.IsEmpty() {
		const id = "golden-matrix"
		run.AddRule(id).WithName("GoldenMatrix").WithDescription("the reachability matrix matches the golden matrix").
			WithHelp(sarif.NewMultiformatMessageString().WithText("regenerate the golden with netreach matrix -o json when the change is intended"))
		msg := fmt.Sprintf("Golden matrix %s drifted (%s level): %s.", d.Golden, d.Level, driftHeadline(d))
		switch {
		case len(d.Gained) > 0:
			msg += " First gained: " + changeText(d.Gained[0]) + "."
		case len(d.Lost) > 0:
			msg += " First lost: " + changeText(d.Lost[0]) + "."
		}
		primary := policy.Location{File: d.Golden, Line: 1, Col: 1}
		if d.Cause != nil {
			msg += " " + sentence(d.Cause.Text) + "."
			if d.Cause.Location.IsValid() {
				primary = d.Cause.Location
			}
		}
		result := run.CreateResultForRule(id).WithLevel(sarif.LevelError).WithKind("fail").
			WithMessage(sarif.NewTextMessage(msg)).
			WithProperties(sarif.NewPropertyBag().Add("gained", len(d.Gained)).Add("lost", len(d.Lost)))
		result.AddLocation(r.sarifLocation(primary, ""))
		if primary.File != d.Golden {
			result.AddRelatedLocation(r.sarifLocation(policy.Location{File: d.Golden, Line: 1, Col: 1}, "the golden matrix").WithID(1))
		}
	}
	rep := sarif.NewReport()
	rep.AddRun(run)
	if err := rep.PrettyWrite(w); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// sarifLocation turns a location into a SARIF location with a path
// relative to the repository (the working directory).
func (r *Report) sarifLocation(l policy.Location, message string) *sarif.Location {
	return sarifloc.Location(r.BaseDir, l, message)
}

// ruleIDs derives a stable SARIF rule id from each rule's name:
// lowercase, runs of other characters replaced by '-', made unique.
func ruleIDs(results []expect.Result) []string {
	ids := make([]string, len(results))
	seen := map[string]bool{"golden-matrix": true}
	for i, res := range results {
		var b strings.Builder
		dash := false
		for _, c := range strings.ToLower(res.Rule.Name) {
			if c < 128 && (unicode.IsLetter(c) || unicode.IsDigit(c)) {
				b.WriteRune(c)
				dash = false
			} else if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
		id := strings.TrimSuffix(b.String(), "-")
		if id == "" {
			id = "rule"
		}
		id = "expect/" + id
		base := id
		for n := 2; seen[id]; n++ {
			id = fmt.Sprintf("%s-%d", base, n)
		}
		seen[id] = true
		ids[i] = id
	}
	return ids
}

// sentence capitalises the first letter of s.
func sentence(s string) string {
	for i, c := range s {
		return string(unicode.ToUpper(c)) + s[i+len(string(c)):]
	}
	return s
}
