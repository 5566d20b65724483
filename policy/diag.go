package policy

import (
	ipolicy "github.com/netreach/netreach/internal/policy"
)

// Code names the kind of problem a [Diagnostic] reports, in the manner of
// apimachinery's field.ErrorType: stable across releases, so that tools
// tell diagnostics apart without reading their messages (which may be
// reworded). A code never changes meaning; diagnostics of [CodeInvalid]
// and [CodeOther] may move to finer codes in later releases.
type Code string

// The codes of diagnostics. [Codes] lists them all.
const (
	// CodeUnknownField: a field the object's API does not define; Value
	// is the field's name. The API server drops it.
	CodeUnknownField Code = "UnknownField"
	// CodeDuplicateField: a field given twice in one mapping; the last
	// value is used.
	CodeDuplicateField Code = "DuplicateField"
	// CodeTypeInvalid: a value of the wrong type (a string where a list
	// is expected); the object is not read.
	CodeTypeInvalid Code = "TypeInvalid"
	// CodeRequired: a required field is missing (apiVersion, kind).
	CodeRequired Code = "Required"
	// CodeInvalid: a value the API server would reject (an invalid CIDR,
	// selector, port or name); the offending rule or object is left out.
	CodeInvalid Code = "Invalid"
	// CodeUnsupportedVersion: a known kind in an API version netreach
	// does not read; Value is the apiVersion.
	CodeUnsupportedVersion Code = "UnsupportedVersion"
	// CodeSkippedKind: an object of a kind netreach does not evaluate,
	// listed by [Snapshot.Skipped]; Value is the kind.
	CodeSkippedKind Code = "SkippedKind"
	// CodeDuplicateObject: a second object of the same kind, namespace
	// and name; the later one is used.
	CodeDuplicateObject Code = "DuplicateObject"
	// CodeUndeclaredNamespace: objects live in a namespace the input does
	// not declare; Value is the namespace.
	CodeUndeclaredNamespace Code = "UndeclaredNamespace"
	// CodeAmbiguousName: two endpoints share "namespace/name"; Value is
	// that name.
	CodeAmbiguousName Code = "AmbiguousName"
	// CodeUnresolvedNamedPort: a named port of a rule that no endpoint
	// declares; Value is the port's name.
	CodeUnresolvedNamedPort Code = "UnresolvedNamedPort"
	// CodeSyntax: a document that is not valid YAML or JSON, or not a
	// Kubernetes object (a mapping with apiVersion and kind).
	CodeSyntax Code = "Syntax"
	// CodeRead: a file or stream that cannot be read, or is not text.
	CodeRead Code = "Read"
	// CodeLimit: input over a size limit of [LoadOptions].
	CodeLimit Code = "Limit"
	// CodeOther: a warning or note without a finer code yet (an
	// approximated feature, a rule that can match nothing).
	CodeOther Code = "Other"
)

// Codes returns every code, sorted.
func Codes() []Code {
	in := ipolicy.Codes()
	out := make([]Code, len(in))
	for i, c := range in {
		out[i] = Code(c)
	}
	return out
}

// Describe returns what the code means, in a few words; "" for a value
// that is not a code.
func (c Code) Describe() string { return ipolicy.Code(c).Describe() }

// Diagnostic is one problem found in the input, located as precisely as
// the input allows, in the manner of apimachinery's field.Error: a code,
// the object and field, and the offending value.
type Diagnostic struct {
	// Code says what kind of problem this is; never empty.
	Code Code `json:"code"`
	// Severity says how serious it is.
	Severity Severity `json:"severity"`
	// Location is where it was read; the zero Location for objects given
	// in code.
	Location Location `json:"location,omitzero"`
	// Object is the object concerned, when one was decoded.
	Object ObjectRef `json:"object,omitzero"`
	// Field is the JSON path of the field inside the object, such as
	// "spec.ingress[0].from[0].ports"; empty for whole-object problems.
	Field string `json:"field,omitempty"`
	// Value is the offending value when there is one to show (the
	// unknown field's name, the unsupported apiVersion).
	Value string `json:"value,omitempty"`
	// Message says what is wrong and, where it helps, what was expected.
	Message string `json:"message"`
}

// String returns the diagnostic as netreach prints it: "file:line:col:
// severity: Kind ns/name: field: message".
func (d Diagnostic) String() string { return d.internal().String() }

func (d Diagnostic) internal() ipolicy.Diagnostic {
	return ipolicy.Diagnostic{Severity: ipolicy.Severity(d.Severity), Location: d.Location.internal(),
		Kind: d.Object.Kind, Namespace: d.Object.Namespace, Name: d.Object.Name,
		Field: d.Field, Msg: d.Message, Code: ipolicy.Code(d.Code), Value: d.Value}
}

func diagFrom(d ipolicy.Diagnostic) Diagnostic {
	return Diagnostic{Code: Code(d.Code), Severity: Severity(d.Severity), Location: locFrom(d.Location),
		Object: ObjectRef{Kind: d.Kind, Namespace: d.Namespace, Name: d.Name},
		Field:  d.Field, Value: d.Value, Message: d.Msg}
}

func diagsFrom(ds ipolicy.Diagnostics) Diagnostics {
	if len(ds) == 0 {
		return nil
	}
	out := make(Diagnostics, len(ds))
	for i, d := range ds {
		out[i] = diagFrom(d)
	}
	return out
}

// Diagnostics is a list of diagnostics, sorted by location then object.
// As an error (see [Diagnostics.Err]) it reports its Error-severity
// entries: the error of [Load] and [FromObjects] for invalid input is a
// Diagnostics, which errors.As finds.
type Diagnostics []Diagnostic

func (ds Diagnostics) internal() ipolicy.Diagnostics {
	in := make(ipolicy.Diagnostics, len(ds))
	for i, d := range ds {
		in[i] = d.internal()
	}
	return in
}

// HasErrors reports whether some diagnostic has [Error] severity.
func (ds Diagnostics) HasErrors() bool { return ds.internal().HasErrors() }

// Errors returns the Error-severity diagnostics.
func (ds Diagnostics) Errors() Diagnostics { return diagsFrom(ds.internal().Errors()) }

// Warnings returns the Warning-severity diagnostics.
func (ds Diagnostics) Warnings() Diagnostics { return diagsFrom(ds.internal().Warnings()) }

// Err returns ds as an error when it has errors, else nil.
func (ds Diagnostics) Err() error {
	if ds.HasErrors() {
		return ds
	}
	return nil
}

// Error joins the Error-severity diagnostics, one per line ("no errors"
// when there are none).
func (ds Diagnostics) Error() string { return ds.internal().Error() }
