// Package expect is the CI gate of netreach: it checks a computed
// [reachability.Matrix] against what a team says its network must look
// like, and fails when the cluster (or a change to it) breaks that. It is
// what `netreach check` runs.
//
// # Expectations
//
// An expectations file lists allow, deny and tenancy rules:
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
// [Parse] and [Load] read it strictly: unknown fields, wrong types and
// invalid selectors, CIDRs, ports and globs are errors, each located at
// file:line:column (a [policy.Diagnostics]). [Expectations.Evaluate]
// checks every rule against a matrix and returns a [Report] with one
// [Result] per rule: [Pass], [Fail] with the offending flows
// ([Violation]) and what decided the first one ([Cause], and the
// explanation `netreach explain` prints), or [Error] when the rule cannot
// be evaluated — a rule that selects nothing is an error, not a pass, so
// that a rename does not make it pass silently. [Report.HasFailures] is
// the gate's answer.
//
// The file format (selections by namespace, labels, pod and workload
// names or globs, CIDRs, Services, the internet; named ports; rules that
// also cover pods that could be created) is described in the section "CI
// gate" of the repository's README.
//
// # Golden matrices
//
// [LoadGolden] reads a matrix written earlier by `netreach matrix -o
// json`, and [Golden.Compare] reports the flows gained and lost since
// ([Drift]). Pods whose names carry a hash are compared through their
// workload ([LevelWorkload], chosen by [LevelAuto] when the golden records
// workloads), and the ports and addresses of the two matrices are
// compared on their common refinement, so a new CIDR or port in a policy
// does not break the comparison.
//
// Every value this package returns is immutable once returned and safe
// for concurrent use.
package expect
