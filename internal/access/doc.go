// Package access models how connections reach workloads other than
// pod-to-pod: through a Service's virtual IP from inside the cluster, and
// from outside the cluster through NodePort and LoadBalancer Services,
// externalIPs, Ingress, the Gateway API and OpenShift Routes, with the
// network policy of each backend deciding the last hop. The model and its
// sources are in docs/exposure-outside.md; the code cites its sections as
// "docs/exposure-outside.md §N".
//
// [Layer] adds three kinds of derived entries to a
// [reachability.Matrix] (see [reachability.ComputeWith]):
//
//   - "{internet}": any client outside the cluster, as a source;
//   - "{ingress-controller}": the pods that forward Ingress, Gateway API
//     and Route traffic, as a source;
//   - "ns/name[Service]": a Service's ports, as a destination of pods,
//     of the internet and of the ingress controllers.
//
// Their verdicts are derived from the matrix's endpoint and address
// verdicts. [Evaluator] is the reference: it decides one flow at a time,
// walking the objects as the upstream documentation describes them and
// asking [reachability.Evaluator] for every policy hop, and returns the
// [Path] it took (internet → load balancer or node → ingress controller
// → backend). Differential tests hold the two to the same answers.
package access
