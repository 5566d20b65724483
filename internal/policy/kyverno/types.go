package kyverno

import (
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Policy is a kyverno.io/v1 or v2beta1 ClusterPolicy or Policy: the fields
// netreach reads, plus every other field of the upstream schema as raw
// JSON, so that strict decoding reports only fields Kyverno does not know.
// The two API versions differ only where noted.
type Policy struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       Spec              `json:"spec"`
	Status     json.RawMessage   `json:"status,omitempty"`
}

// Spec is a policy's spec.
type Spec struct {
	Rules []Rule `json:"rules,omitempty"`
	// ApplyRules is "All" (the default) or "One": with One, the first rule
	// that applies stops the others of the policy.
	ApplyRules string `json:"applyRules,omitempty"`
	// Admission false keeps the policy's rules out of admission control.
	Admission *bool `json:"admission,omitempty"`
	// Background controls background scans; it does not change admission.
	Background *bool `json:"background,omitempty"`
	// GenerateExisting (deprecated in favour of the rule field) applies
	// generate rules to objects that exist when the policy is created.
	GenerateExisting bool `json:"generateExisting,omitempty"`

	FailurePolicy                    json.RawMessage `json:"failurePolicy,omitempty"`
	ValidationFailureAction          json.RawMessage `json:"validationFailureAction,omitempty"`
	ValidationFailureActionOverrides json.RawMessage `json:"validationFailureActionOverrides,omitempty"`
	EmitWarning                      json.RawMessage `json:"emitWarning,omitempty"`
	SchemaValidation                 json.RawMessage `json:"schemaValidation,omitempty"`
	WebhookTimeoutSeconds            json.RawMessage `json:"webhookTimeoutSeconds,omitempty"`
	MutateExistingOnPolicyUpdate     json.RawMessage `json:"mutateExistingOnPolicyUpdate,omitempty"`
	GenerateExistingOnPolicyUpdate   json.RawMessage `json:"generateExistingOnPolicyUpdate,omitempty"`
	UseServerSideApply               json.RawMessage `json:"useServerSideApply,omitempty"`
	WebhookConfiguration             json.RawMessage `json:"webhookConfiguration,omitempty"`
}

// Rule is one rule of a policy: match and exclude, preconditions, and one
// action. Only mutate and generate change what netreach evaluates.
type Rule struct {
	Name    string          `json:"name"`
	Context []ContextEntry  `json:"context,omitempty"`
	Match   MatchResources  `json:"match"`
	Exclude *MatchResources `json:"exclude,omitempty"`
	// Preconditions is either {any: [...], all: [...]} or (kyverno.io/v1
	// only, the old form) a list of conditions that must all hold.
	Preconditions json.RawMessage `json:"preconditions,omitempty"`
	Mutate        *Mutation       `json:"mutate,omitempty"`
	Generate      *Generation     `json:"generate,omitempty"`
	// SkipBackgroundRequests (default true) keeps generate rules from
	// reacting to objects Kyverno's background controller creates.
	SkipBackgroundRequests *bool `json:"skipBackgroundRequests,omitempty"`

	Validate         json.RawMessage `json:"validate,omitempty"`
	VerifyImages     json.RawMessage `json:"verifyImages,omitempty"`
	ImageExtractors  json.RawMessage `json:"imageExtractors,omitempty"`
	CELPreconditions json.RawMessage `json:"celPreconditions,omitempty"`
	ReportProperties json.RawMessage `json:"reportProperties,omitempty"`
}

// MatchResources is a rule's match or exclude block: any (OR) or all (AND)
// of resource filters. The deprecated kyverno.io/v1 form gives one filter
// directly (resources, subjects, roles, clusterRoles).
type MatchResources struct {
	Any []ResourceFilter `json:"any,omitempty"`
	All []ResourceFilter `json:"all,omitempty"`

	Resources    *ResourceDescription `json:"resources,omitempty"`
	Subjects     json.RawMessage      `json:"subjects,omitempty"`
	Roles        json.RawMessage      `json:"roles,omitempty"`
	ClusterRoles json.RawMessage      `json:"clusterRoles,omitempty"`
}

// ResourceFilter is one entry of any or all.
type ResourceFilter struct {
	Resources    *ResourceDescription `json:"resources,omitempty"`
	Subjects     json.RawMessage      `json:"subjects,omitempty"`
	Roles        json.RawMessage      `json:"roles,omitempty"`
	ClusterRoles json.RawMessage      `json:"clusterRoles,omitempty"`
}

// ResourceDescription selects objects: every field given must hold (AND
// across fields), any entry of a list may match (OR within a list).
type ResourceDescription struct {
	Kinds             []string              `json:"kinds,omitempty"`
	Name              string                `json:"name,omitempty"`
	Names             []string              `json:"names,omitempty"`
	Namespaces        []string              `json:"namespaces,omitempty"`
	Annotations       map[string]string     `json:"annotations,omitempty"`
	Selector          *metav1.LabelSelector `json:"selector,omitempty"`
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
	Operations        []string              `json:"operations,omitempty"`
}

// ContextEntry declares a rule variable. Only variable entries (value,
// jmesPath, default) are evaluated offline.
type ContextEntry struct {
	Name            string          `json:"name"`
	Variable        *Variable       `json:"variable,omitempty"`
	ConfigMap       json.RawMessage `json:"configMap,omitempty"`
	APICall         json.RawMessage `json:"apiCall,omitempty"`
	ImageRegistry   json.RawMessage `json:"imageRegistry,omitempty"`
	GlobalReference json.RawMessage `json:"globalReference,omitempty"`
}

// Variable is a context variable: a value (with variables substituted),
// optionally transformed by a JMESPath expression, with a default when the
// result is null.
type Variable struct {
	Value    json.RawMessage `json:"value,omitempty"`
	JMESPath string          `json:"jmesPath,omitempty"`
	Default  json.RawMessage `json:"default,omitempty"`
}

// Mutation is a mutate rule.
type Mutation struct {
	PatchStrategicMerge json.RawMessage `json:"patchStrategicMerge,omitempty"`
	PatchesJSON6902     string          `json:"patchesJson6902,omitempty"`

	Targets                      json.RawMessage `json:"targets,omitempty"`
	Foreach                      json.RawMessage `json:"foreach,omitempty"`
	MutateExistingOnPolicyUpdate json.RawMessage `json:"mutateExistingOnPolicyUpdate,omitempty"`
}

// Generation is a generate rule: the target (apiVersion, kind, namespace,
// name) and its source, data or clone or cloneList.
type Generation struct {
	APIVersion string          `json:"apiVersion,omitempty"`
	Kind       string          `json:"kind,omitempty"`
	Namespace  string          `json:"namespace,omitempty"`
	Name       string          `json:"name,omitempty"`
	UID        string          `json:"uid,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	Clone      *CloneFrom      `json:"clone,omitempty"`
	CloneList  *CloneList      `json:"cloneList,omitempty"`
	// Synchronize keeps the generated object in sync; offline it decides
	// only what happens when the target already exists (data source).
	Synchronize      bool  `json:"synchronize,omitempty"`
	GenerateExisting *bool `json:"generateExisting,omitempty"`

	OrphanDownstreamOnPolicyDelete json.RawMessage `json:"orphanDownstreamOnPolicyDelete,omitempty"`
	Foreach                        json.RawMessage `json:"foreach,omitempty"`
}

// CloneFrom names the object to copy.
type CloneFrom struct {
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
}

// CloneList copies every object of the kinds (optionally selected by
// labels) from a namespace.
type CloneList struct {
	Namespace string                `json:"namespace,omitempty"`
	Kinds     []string              `json:"kinds,omitempty"`
	Selector  *metav1.LabelSelector `json:"selector,omitempty"`
}

// Condition is one precondition: key operator value.
type Condition struct {
	Key      json.RawMessage `json:"key,omitempty"`
	Operator string          `json:"operator,omitempty"`
	Value    json.RawMessage `json:"value,omitempty"`
	Message  string          `json:"message,omitempty"`
}

// AnyAll is the any/all form of preconditions: at least one of Any (when
// given) and all of All must hold.
type AnyAll struct {
	Any []Condition `json:"any,omitempty"`
	All []Condition `json:"all,omitempty"`
}
