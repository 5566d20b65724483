package policy

import "encoding/json"

// WithoutSources is withoutSources, for the external tests.
var WithoutSources = withoutSources

// withoutSources prints a snapshot's objects as JSON without their
// locations, for comparing snapshots built from files and from typed
// objects.
func withoutSources(s *Snapshot) string {
	var out []any
	s.each(func(r ObjectRef, workload string) {
		r.Source = Location{}
		out = append(out, r, workload)
	})
	for _, e := range s.Endpoints {
		x := *e
		x.Source = Location{}
		out = append(out, struct {
			E Endpoint
			R ObjectRef
		}{x, x.ObjectRef})
	}
	for _, np := range s.NetworkPolicies {
		out = append(out, np.Spec, np.Invalid)
	}
	for _, n := range s.Calico.NetworkSets {
		out = append(out, n.Name, n.Labels, n.Nets)
	}
	j, err := json.Marshal(out)
	if err != nil {
		return err.Error()
	}
	return string(j)
}

// Update is the -update flag, for the golden tests of package policy_test.
var Update = update
