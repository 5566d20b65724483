package policy

import "maps"

// Calico's implicit labels [docs/semantics.md §3.1, C-WEP, C-KNP].
const (
	CalicoNamespaceLabel      = "projectcalico.org/namespace"
	CalicoOrchestratorLabel   = "projectcalico.org/orchestrator"
	CalicoServiceAccountLabel = "projectcalico.org/serviceaccount"
	CalicoNameLabel           = "projectcalico.org/name"
)

// CalicoLabels returns the labels Calico's selectors see on the endpoint's
// workload endpoint: the pod labels plus projectcalico.org/namespace,
// projectcalico.org/orchestrator=k8s and projectcalico.org/serviceaccount
// (when the name is shorter than 63 characters).
func (e *Endpoint) CalicoLabels() map[string]string {
	l := maps.Clone(e.Labels)
	if l == nil {
		l = map[string]string{}
	}
	if e.Host != nil {
		return l // a host endpoint has only its own labels
	}
	l[CalicoNamespaceLabel] = e.Namespace
	l[CalicoOrchestratorLabel] = "k8s"
	if e.ServiceAccount != "" && len(e.ServiceAccount) < 63 {
		l[CalicoServiceAccountLabel] = e.ServiceAccount
	}
	return l
}

// CalicoLabels returns the labels Calico's namespace selectors see: the
// namespace labels plus projectcalico.org/name.
func (n *Namespace) CalicoLabels() map[string]string {
	l := maps.Clone(n.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l[CalicoNameLabel] = n.Name
	return l
}

// CalicoServiceAccountLabels returns the labels Calico's service-account
// selectors see for the service account ns/name: its labels, if it was
// given, plus projectcalico.org/name.
func (s *Snapshot) CalicoServiceAccountLabels(ns, name string) map[string]string {
	l := maps.Clone(s.ServiceAccountLabels(ns, name))
	if l == nil {
		l = map[string]string{}
	}
	l[CalicoNameLabel] = name
	return l
}
