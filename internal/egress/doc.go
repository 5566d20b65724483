// Package egress answers, for every workload and every destination outside
// the cluster it may open connections to, which source addresses an
// observer outside the cluster (a firewall) sees: the pod's own address
// (or the range of its IP pool, when the pod has none yet) when the pool
// does not masquerade, its node's addresses when Calico's outgoing NAT
// applies, or the addresses of the egress gateways its traffic goes
// through (Calico Enterprise). The rules and their sources are in
// docs/calico-ipam.md.
//
// [Analyze] takes a computed [reachability.Matrix] and returns a [Report]
// of [Flow] rows; [Report.WriteTable], [Report.WriteCSV],
// [Report.WriteJSON] and [Report.WriteFirewall] print it.
package egress
