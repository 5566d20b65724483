// Package expect checks a reachability matrix against what a team says its
// network must look like: an expectations file of allow, deny and tenancy
// rules, or a golden matrix recorded earlier. It is what `netreach check`
// runs in CI.
//
// The expectations format is a separate concern from the engine: it is a
// user-facing, versioned file format with its own decoding and error
// reporting, and its evaluation only reads a finished [reachability.Matrix]
// (plus the reference evaluator, to explain the first offending flow). So it
// lives in its own package and the engine knows nothing about it.
//
// # Expectations
//
// [Parse] and [Load] read an expectations file, strictly (unknown fields,
// wrong types and invalid values are errors located at file:line:col) into
// [Expectations]: a list of [Rule] values.
//
//	apiVersion: netreach.io/v1alpha1
//	kind: Expectations
//	rules:
//	- name: web reaches the database on 5432 only
//	  from: {namespace: shop, podSelector: {matchLabels: {app: web}}}
//	  to: {namespace: shop, pod: "db-*"}
//	  ports: [5432/TCP]
//	  expect: allow
//	- name: tenants are isolated
//	  isolate:
//	    namespacesBy: client
//	    except:
//	    - to: {namespace: kube-system, podSelector: {matchLabels: {k8s-app: kube-dns}}}
//	      ports: [53/UDP, 53/TCP]
//	    - with: {namespace: ingress}
//
// [Expectations.Evaluate] checks every rule against a matrix and returns one
// [Result] per rule: pass or fail, the offending flows ([Violation]), the
// explain trace of the first one and its [Cause]: for an unwanted allow the
// policy rule that allowed it, for a missing allow the rule that denied it.
// A rule that selects no endpoint is an error, not a pass: it would
// otherwise pass silently after a rename. A selection can also pick the
// entries of the access model (package access): `internet: true`,
// `ingressController: true` or `service: ns/name`; the first violation of
// such a flow is explained by its path ([Result.Path]) instead of a trace.
//
// # Golden matrices
//
// [LoadGolden] reads a matrix written by `netreach matrix -o json`, and
// [Golden.Compare] reports the flows gained and lost since ([Drift]). Pods
// whose names carry a hash are compared through their workload, and the
// port and address atoms of the two matrices are compared on their common
// refinement, so a new CIDR or port in a policy does not break the
// comparison. Entries of the access model ({internet},
// {ingress-controller}, Services) are matched by name; a golden written
// without them sees them as added.
package expect
