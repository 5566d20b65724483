package auditreport

import (
	"io"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/netreach/netreach/cmd/internal/sarifloc"
	"github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/policy"
)

// sarifLevel maps a severity to a SARIF level: critical and high are
// errors, medium a warning, low and info notes.
func sarifLevel(s audit.Severity) string {
	switch {
	case s >= audit.High:
		return sarif.LevelError
	case s == audit.Medium:
		return sarif.LevelWarning
	}
	return sarif.LevelNote
}

// securitySeverity is the CVSS-like score code-scanning UIs rank
// security results by.
func securitySeverity(s audit.Severity) string {
	return [...]string{"1.0", "3.0", "5.5", "8.0", "9.5"}[s]
}

// WriteSARIF writes the report as SARIF 2.1.0: one rule per finding kind
// (id NR001…, with the kind's default level and security-severity) and
// one result per finding, at the finding's own level, located at its
// most precise location (the policy rule or field, else the first object
// with a known source), with the other objects as related locations and
// a logical location naming the namespace or object.
func WriteSARIF(w io.Writer, d *Document) error {
	run := sarif.NewRunWithInformationURI("netreach", InformationURI)
	run.Tool.Driver.WithVersion(d.Version).WithFullName("netreach " + d.Version)
	run.WithColumnKind("unicodeCodePoints")
	run.WithProperties(sarif.NewPropertyBag().Add("options", d.Report.Settings).Add("auditOptions", d.Report.AuditOptions))
	for _, k := range audit.Kinds() {
		run.AddRule(k.ID).WithName(sarifloc.RuleName(string(k.Kind))).WithDescription(k.Title).
			WithFullDescription(sarif.NewMultiformatMessageString().WithText(k.Description)).
			WithHelp(sarif.NewMultiformatMessageString().WithText(k.Remedy)).
			WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(sarifLevel(k.Severity))).
			WithProperties(sarif.NewPropertyBag().Add("security-severity", securitySeverity(k.Severity)).
				WithTags([]string{"security", "network-policy", string(k.Kind)}))
	}
	for i := range d.Report.Findings {
		f := &d.Report.Findings[i]
		msg := f.Message + ". " + f.Remedy
		props := sarif.NewPropertyBag().Add("severity", f.Severity.String()).Add("kind", string(f.Kind))
		if f.Namespace != "" {
			props.Add("namespace", f.Namespace)
		}
		if len(f.Evidence) > 0 {
			props.Add("evidence", f.Evidence)
		}
		res := run.CreateResultForRule(f.ID).WithLevel(sarifLevel(f.Severity)).WithKind("fail").
			WithMessage(sarif.NewTextMessage(msg)).WithProperties(props)
		primary := f.PrimaryLocation()
		loc := sarif.NewLocation()
		if primary.IsValid() {
			loc = sarifLocation(d.BaseDir, primary, "")
		}
		loc.WithLogicalLocations([]*sarif.LogicalLocation{logicalLocation(f)})
		res.AddLocation(loc)
		id := 1
		for _, o := range f.Objects {
			if !o.Source.IsValid() || o.Source == primary {
				continue
			}
			res.AddRelatedLocation(sarifLocation(d.BaseDir, o.Source, o.String()).WithID(id))
			id++
			if id > 10 {
				break
			}
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

// logicalLocation names what a finding is about: its first object, or its
// namespace.
func logicalLocation(f *audit.Finding) *sarif.LogicalLocation {
	if len(f.Objects) > 0 {
		o := f.Objects[0]
		name := o.Name
		if o.Namespace != "" {
			name = o.Namespace + "/" + o.Name
		}
		return sarif.NewLogicalLocation().WithName(name).WithFullyQualifiedName(o.Key()).WithKind("resource")
	}
	return sarif.NewLogicalLocation().WithName(f.Namespace).WithKind("namespace")
}

func sarifLocation(base string, l policy.Location, message string) *sarif.Location {
	return sarifloc.Location(base, l, message)
}
