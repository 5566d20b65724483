package policy

import "slices"

// Code names the kind of problem a [Diagnostic] reports, in the manner
// of apimachinery's field.ErrorType: stable across releases, so that
// tools can tell diagnostics apart without reading their messages (which
// may be reworded). A code never changes meaning; diagnostics of
// [CodeInvalid] and [CodeOther] may move to finer codes in later
// releases.
type Code string

// The codes of the loader's diagnostics.
const (
	// CodeUnknownField: a field the object's API does not define; Value
	// is the field's name. The API server drops it.
	CodeUnknownField Code = "UnknownField"
	// CodeDuplicateField: a field given twice in one mapping; the last
	// value is used.
	CodeDuplicateField Code = "DuplicateField"
	// CodeTypeInvalid: a value of the wrong type (a string where a list is
	// expected); the object is not read.
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
	// listed in Snapshot.Skipped; Value is the kind.
	CodeSkippedKind Code = "SkippedKind"
	// CodeDuplicateObject: a second object of the same kind, namespace
	// and name; the later one is used.
	CodeDuplicateObject Code = "DuplicateObject"
	// CodeUndeclaredNamespace: objects live in a namespace the input
	// does not declare; Value is the namespace.
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
	// CodeRead: a file or stream that cannot be read, or is not text
	// (compressed, binary).
	CodeRead Code = "Read"
	// CodeLimit: input over a size limit of [LoadOptions].
	CodeLimit Code = "Limit"
	// CodeOther: a warning or note without a finer code yet (an
	// approximated feature, a rule that can match nothing).
	CodeOther Code = "Other"
)

// codeDescriptions holds every code with what it means, for Codes and
// the golden list in the tests.
var codeDescriptions = map[Code]string{
	CodeUnknownField:        "field the API does not define; dropped",
	CodeDuplicateField:      "field given twice; the last value is used",
	CodeTypeInvalid:         "value of the wrong type; the object is not read",
	CodeRequired:            "required field missing",
	CodeInvalid:             "value the API server would reject; the rule or object is left out",
	CodeUnsupportedVersion:  "known kind in an API version netreach does not read",
	CodeSkippedKind:         "kind netreach does not evaluate; listed as skipped",
	CodeDuplicateObject:     "second object of the same kind, namespace and name",
	CodeUndeclaredNamespace: "namespace referenced but not declared; assumed to exist",
	CodeUnresolvedNamedPort: "named port no endpoint declares",
	CodeAmbiguousName:       "two endpoints share namespace/name",
	CodeSyntax:              "not valid YAML or JSON, or not a Kubernetes object",
	CodeRead:                "input that cannot be read or is not text",
	CodeLimit:               "input over a size limit",
	CodeOther:               "warning or note without a finer code yet",
}

// Codes returns every code, sorted.
func Codes() []Code {
	out := make([]Code, 0, len(codeDescriptions))
	for c := range codeDescriptions {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Describe returns what the code means, in a few words.
func (c Code) Describe() string { return codeDescriptions[c] }

// defaultCode is the code of a diagnostic created without one.
func defaultCode(s Severity) Code {
	if s == Error {
		return CodeInvalid
	}
	return CodeOther
}
