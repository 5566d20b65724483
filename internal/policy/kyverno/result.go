package kyverno

import "fmt"

// Severity says how serious a [Diagnostic] is.
type Severity uint8

// Severities, least serious first.
const (
	Info Severity = iota
	Warning
	Error
)

// Diagnostic is one thing the simulation reports: a rule that fails for
// an object, a construct that is not simulated, a result that depends on
// an order Kyverno does not define.
type Diagnostic struct {
	Severity Severity
	// Policy is the index of the policy in [Input].Policies, or -1.
	Policy int
	// Path is the field of the policy the diagnostic is about
	// ("spec.rules[1].generate.data"), relative to the policy object.
	Path string
	// Object is the index of the input object concerned, or -1.
	Object int
	Msg    string
}

// Step is one rule that changed or created an object.
type Step struct {
	// Action is "mutate" or "generate".
	Action string
	// Policy is the index of the policy in [Input].Policies; Rule the
	// index of the rule in its spec.rules, RuleName its name.
	Policy   int
	Rule     int
	RuleName string
	// Trigger is the object whose admission fired the rule: the object
	// itself for mutate rules, the trigger for generate rules.
	Trigger ID
	// TriggerObject is the input index of the trigger, or -1 when the
	// trigger was itself generated.
	TriggerObject int
	// Changes lists, for mutate rules, the labels set ("key=value") or
	// removed ("-key"), prefixed "template: " for a workload's pod
	// template; other changes are summed up as "other fields".
	Changes []string
}

// Path returns the rule's field path within its policy, "spec.rules[2]".
func (s Step) Path() string { return fmt.Sprintf("spec.rules[%d]", s.Rule) }

// Generated is an object a generate rule created.
type Generated struct {
	Object Object
	By     Step
	// TemplatePath locates the template in the policy for data sources
	// ("spec.rules[1].generate.data"); empty for clones.
	TemplatePath string
	// CloneOf is the input index of the cloned object, or -1.
	CloneOf int
	// Mutations are the mutate rules that changed the object when it was
	// created, in order.
	Mutations []Step
	// Replaces is the input index of an input object of the same identity
	// that the generated object replaces (a synchronised data source, or
	// a clone), or -1.
	Replaces int
	// EmptyValues are label and selector values of the object that
	// rendered empty.
	EmptyValues []EmptyValue

	triggerVersion string // for Kyverno's trigger-version label
}

// EmptyValue is a label or selector value that is the empty string in a
// generated object.
type EmptyValue struct {
	// Path is the field in the generated object,
	// "spec.ingress[0].from[0].namespaceSelector.matchLabels.client".
	Path string
	// Template is the template's text at that place: a variable that
	// resolved to "" or a literal empty string.
	Template string
}

// Result is what admission of the input would do.
type Result struct {
	// Objects holds, per input object, its content after admission, or
	// nil when no rule changed it.
	Objects []Object
	// Mutations lists, per input object, the mutate rules that changed it.
	Mutations [][]Step
	// Generated are the objects generate rules created, in creation
	// order, after their own admission.
	Generated []Generated
	// Diagnostics are sorted by policy, path, object and message.
	Diagnostics []Diagnostic
}
