// Package policy reads what a cluster is made of and every network policy
// API netreach understands, and lowers the policies into one rule model.
//
// # Loading
//
// A [Loader] reads manifests — files, directories, standard input,
// multi-document YAML, JSON, `kind: List` — and builds a [Snapshot]:
// namespaces, endpoints (pods, or workloads standing in for their pods),
// services, service accounts, nodes, and the policies of every API:
// Kubernetes [NetworkPolicy], AdminNetworkPolicy, BaselineAdminNetworkPolicy
// and ClusterNetworkPolicy ([AdminPolicy]), and Calico v3 ([CalicoObjects],
// with the types of package calicov3). [Load] does it in one call.
//
// Decoding is strict: unknown fields become Warning [Diagnostic]s located
// at file, document, line, column and field path, and are then dropped as
// the API server would drop them; invalid objects are Error diagnostics and
// the offending rule is left out. Objects of kinds netreach does not
// evaluate are listed in Snapshot.Skipped. The API server's defaulting is
// applied before anything reads a policy.
//
// Input is read in bounded chunks ([Loader.AddReader]): memory grows
// with the size of the largest document, not of the input, and endless,
// compressed or binary input ends with one clear error. Documents are
// decoded on every core. Most manifests take a fast path that reads the
// common subset of YAML (and JSON) straight into the typed objects;
// anything outside it, and anything the fast path would have to report,
// goes through the full decoder, so the result and every diagnostic are
// the same either way (a differential test and a fuzz target hold them
// equal). Handlers of new kinds need nothing for it: they decode through
// the same call either way.
//
// # Lowering
//
// [Lower] turns the snapshot's policies into a [Program]: ordered tiers of
// policies with first-match rules (Allow, Deny, Pass, Log) over peers and
// ports, the form the bitset engine evaluates. The [Mode] decides how the
// APIs combine — Kubernetes (Admin → NetworkPolicy → Baseline) or Calico
// tiers ([Snapshot.CalicoPlan], with a [CalicoVersion] profile) — and
// [Snapshot.WithStagedView] how Calico staged policies take part.
//
// A Snapshot is immutable once built and safe for concurrent use.
package policy
