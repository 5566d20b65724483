package policy

// AdminPolicies holds the cluster-wide policies of
// sigs.k8s.io/network-policy-api: AdminNetworkPolicy and
// BaselineAdminNetworkPolicy (v1alpha1) and ClusterNetworkPolicy
// (v1alpha2).
type AdminPolicies struct{}

func (a *AdminPolicies) add(any) bool { return false }
func (a *AdminPolicies) sort()        {}
