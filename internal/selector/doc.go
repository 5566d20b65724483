// Package selector implements the label selectors that network policies use
// to pick endpoints and namespaces: Kubernetes [metav1.LabelSelector] values
// (matchLabels and matchExpressions) and the Calico selector language
// (`app == "web" && has(tier)`), both parsed into one matcher type,
// [Selector].
//
// A [Selector] is an immutable expression tree. Its zero value is the
// selector `all()`, which matches every label set. [FromLabelSelector]
// converts a Kubernetes selector with exactly the semantics of
// k8s.io/apimachinery (a nil selector matches nothing, `{}` matches
// everything, NotIn and DoesNotExist also match labels sets that lack the
// key); [Parse] reads the Calico grammar. [Selector.String] prints the
// Calico form, which [Parse] reads back to an equal selector, so the string
// doubles as a cache key.
//
// [Compile] evaluates a selector on a list of label sets and writes the
// result as a bitset. The reachability engine does the same per endpoint
// class, restricted to the classes a rule's scope allows.
//
// The package does no I/O and knows nothing about YAML or policies.
package selector
