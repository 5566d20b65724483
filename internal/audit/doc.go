// Package audit turns a computed reachability matrix into findings a
// security reviewer acts on: pods that no policy isolates, namespaces
// without a default deny, cross-tenant flows, egress to the internet and
// ingress from outside the cluster, dead or shadowed policy rules,
// misplaced fields, pods that can no longer resolve names, Calico Pass
// rules that fall through to the end, staged policies that would change
// reachability, and the lateral-movement blast radius of every endpoint.
//
// Findings are a separate concern from the engine: package reachability
// answers "who can connect to whom" exactly, and knows nothing about
// tenants, severities or remedies; this package reads its answers (the
// [reachability.Matrix], its class graph and the lowered policy program)
// and judges them. Keeping the judgement out of the engine keeps the
// engine's API small and lets the audit's rules change without touching
// the semantics.
//
// [Findings] returns the findings alone; [New] builds a [Report], which
// adds what a report renderer draws: per-namespace details, the
// namespace-to-namespace flow counts behind a heatmap, the external address
// ranges as graph nodes, and the blast radius of every endpoint. Each
// [Finding] has a stable ID (NR001…), a [Kind], a [Severity], the objects
// involved with their file and line, a one-line message and a one-line
// remedy. [Kinds] lists every kind with its default severity and title.
//
// Every result is deterministic: findings are sorted by severity (most
// serious first), then ID, then the namespace and objects they concern.
// The per-namespace kinds are merged into one finding each, listing the
// namespaces; [Report.TopRisks] ranks the findings by [RiskScore], grouped
// by tenant pair, policy and remedy. Each finding has a fingerprint that
// a [Baseline] (an earlier report) is compared by, and [Waiver]s (see
// [ParseWaivers]) move accepted findings to [Report.Waived] until they
// expire. [Kind.Controls] maps each kind to the NSA/CISA and CIS
// Kubernetes controls it relates to (docs/audit-standards.md).
//
// The lateral-movement analysis works on the matrix's endpoint classes
// (see [reachability.Matrix.ClassGraph]): the transitive closure of the
// class graph is computed with word-wide bit operations
// ([graph.Matrix.Closure]) and class sizes turn class counts back into
// endpoint counts, so no per-pair map is ever built.
package audit
