package policy

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity says how serious a [Diagnostic] is.
type Severity uint8

// Severities, least serious first.
const (
	// Info marks a note that changes nothing, such as a completed pod
	// that was left out of the endpoints.
	Info Severity = iota
	// Warning marks input that was accepted but may not mean what its
	// author intended: an unknown field that the API server would drop, a
	// namespace that is referenced but not declared, an unsupported field
	// that was approximated.
	Warning
	// Error marks invalid input: the API server would reject the object.
	// The offending rule or object is left out of the evaluation and the
	// CLI exits with code 2.
	Error
)

// String returns "info", "warning" or "error".
func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("Severity(%d)", uint8(s))
}

// Location is where an object or field came from. The zero Location means
// "unknown" (objects built in code).
type Location struct {
	// File is the path as given on the command line, "-" for standard
	// input, or "" when unknown.
	File string `json:"file,omitempty"`
	// Doc is the 1-based index of the YAML document within the file.
	Doc int `json:"document,omitempty"`
	// Line and Col are 1-based; zero when unknown.
	Line int `json:"line,omitempty"`
	Col  int `json:"column,omitempty"`
}

// IsValid reports whether the location names a file.
func (l Location) IsValid() bool { return l.File != "" }

// String formats the location as "file:line:col", leaving out parts that
// are unknown.
func (l Location) String() string {
	if l.File == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString(l.File)
	if l.Line > 0 {
		fmt.Fprintf(&b, ":%d", l.Line)
		if l.Col > 0 {
			fmt.Fprintf(&b, ":%d", l.Col)
		}
	}
	return b.String()
}

// Diagnostic is one problem found in the input, located as precisely as the
// input allows.
type Diagnostic struct {
	Severity Severity
	Location
	// Kind, Namespace and Name identify the object, when one was decoded.
	Kind, Namespace, Name string
	// Field is the JSON path of the field inside the object, such as
	// "spec.ingress[0].from[0].ports"; empty for whole-object problems.
	Field string
	// Msg says what is wrong and, where it helps, what was expected.
	Msg string
	// Code names the kind of problem, for tools (see [Code]); never empty
	// in the diagnostics of a [Loader].
	Code Code `json:"code,omitempty"`
	// Value is the offending value when there is one to show (the unknown
	// field's name, the unsupported apiVersion); empty otherwise.
	Value string `json:"value,omitempty"`
}

// String formats the diagnostic in the style of gcc, so editors can jump
// to it:
//
//	np.yaml:13:7: warning: document 2: NetworkPolicy prod/deny-all: spec.ingress[0].from[0].ports: unknown field
func (d Diagnostic) String() string {
	var b strings.Builder
	if loc := d.Location.String(); loc != "" {
		b.WriteString(loc)
		b.WriteString(": ")
	}
	b.WriteString(d.Severity.String())
	b.WriteString(": ")
	if d.Doc > 0 {
		fmt.Fprintf(&b, "document %d: ", d.Doc)
	}
	if d.Kind != "" {
		b.WriteString(d.Kind)
		if d.Name != "" {
			b.WriteByte(' ')
			b.WriteString(objectName(d.Namespace, d.Name))
		}
		b.WriteString(": ")
	}
	if d.Field != "" {
		b.WriteString(d.Field)
		b.WriteString(": ")
	}
	b.WriteString(d.Msg)
	return b.String()
}

// objectName is "ns/name" for namespaced objects and "name" otherwise.
func objectName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// Diagnostics is a list of diagnostics. As an error it reports its
// Error-severity entries.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic has severity [Error].
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns the Error-severity diagnostics.
func (ds Diagnostics) Errors() Diagnostics { return ds.filter(Error) }

// Warnings returns the Warning-severity diagnostics.
func (ds Diagnostics) Warnings() Diagnostics { return ds.filter(Warning) }

func (ds Diagnostics) filter(s Severity) Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == s {
			out = append(out, d)
		}
	}
	return out
}

// Error joins the Error-severity diagnostics, one per line.
func (ds Diagnostics) Error() string {
	var lines []string
	for _, d := range ds {
		if d.Severity == Error {
			lines = append(lines, d.String())
		}
	}
	if len(lines) == 0 {
		return "no errors"
	}
	return strings.Join(lines, "\n")
}

// Err returns ds as an error when it holds at least one Error-severity
// diagnostic, and nil otherwise.
func (ds Diagnostics) Err() error {
	if ds.HasErrors() {
		return ds
	}
	return nil
}

// Sort orders diagnostics by file, document, line, column, then message,
// so output does not depend on the order of discovery.
func (ds Diagnostics) Sort() {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Doc, b.Doc), cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col), strings.Compare(a.Field, b.Field), strings.Compare(a.Msg, b.Msg),
			// Ties (objects without a location) by object, so that the
			// order does not depend on the order of the input.
			strings.Compare(a.Kind, b.Kind), strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Name, b.Name),
			cmp.Compare(a.Severity, b.Severity))
	})
}
