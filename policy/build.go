package policy

import (
	"fmt"
	"regexp"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Snapshot assembles everything added so far: live pods win over the
// templates of the workloads that own them, namespaces that are referenced
// but not declared are created (with a warning), and every list is sorted.
// The error is non-nil when any Error-severity diagnostic was found; the
// snapshot is complete apart from the rejected objects and rules.
func (l *Loader) Snapshot() (*Snapshot, error) {
	s := &Snapshot{}
	var pods []*podRecord
	workloads := map[string]*workloadRecord{} // by Kind/ns/name
	for _, key := range l.order {
		o := l.objects[key]
		switch v := o.obj.(type) {
		case *Namespace:
			s.Namespaces = append(s.Namespaces, v)
		case *podRecord:
			pods = append(pods, v)
		case *workloadRecord:
			workloads[v.ep.Key()] = v
		case *Service:
			s.Services = append(s.Services, v)
		case *ServiceAccount:
			s.ServiceAccounts = append(s.ServiceAccounts, v)
		case *Node:
			s.Nodes = append(s.Nodes, v)
		case *NetworkPolicy:
			s.NetworkPolicies = append(s.NetworkPolicies, v)
		case *Skipped:
			s.Skipped = append(s.Skipped, *v)
		default:
			if !s.Admin.add(v) && !s.Calico.add(v) {
				panic(fmt.Sprintf("Snapshot: unexpected object %T", v))
			}
		}
	}
	s.Endpoints = resolveWorkloads(pods, workloads)
	l.synthesizeNamespaces(s)
	s.index()
	s.Diagnostics = append(Diagnostics(nil), l.diags...)
	s.Diagnostics.Sort()
	return s, s.Diagnostics.Err()
}

// resolveWorkloads returns the live pods plus one template endpoint for
// every workload that has no live pod and is not itself owned by another
// given workload (a ReplicaSet of a given Deployment, a Job of a given
// CronJob).
func resolveWorkloads(pods []*podRecord, workloads map[string]*workloadRecord) []*Endpoint {
	covered := map[string]bool{}
	eps := make([]*Endpoint, 0, len(pods)+len(workloads))
	for _, p := range pods {
		w := topWorkload(p.ep.Namespace, p.ep.Labels, p.owners, workloads)
		p.ep.Workload = w
		covered[w] = true
		eps = append(eps, p.ep)
	}
	for _, w := range workloads {
		top := topWorkload(w.ep.Namespace, w.ep.Labels, w.owners, workloads)
		if top != w.ep.Workload {
			continue // represented by its owner
		}
		if covered[top] {
			continue // live pods stand for it
		}
		eps = append(eps, w.ep)
	}
	return eps
}

var jobSuffix = regexp.MustCompile(`^(.+)-[0-9]+$`)

// topWorkload follows ownerReferences (controller first) up to the
// outermost workload: Pod → ReplicaSet → Deployment, Pod → Job → CronJob.
// When the intermediate object is not in the input, the Deployment is
// recognised by the pod-template-hash suffix of the ReplicaSet's name and
// the CronJob by the numeric suffix of the Job's name, if such a
// Deployment or CronJob was given. The result is "Kind/name", or "" when
// the object has no owner.
func topWorkload(ns string, labels map[string]string, owners []metav1.OwnerReference, workloads map[string]*workloadRecord) string {
	cur := ""
	for depth := 0; depth < 8; depth++ {
		o := controllerOf(owners)
		if o == nil {
			return cur
		}
		cur = o.Kind + "/" + o.Name
		if w := workloads[o.Kind+"/"+ns+"/"+o.Name]; w != nil {
			owners = w.owners
			labels = w.ep.Labels
			continue
		}
		// The owner itself was not given: infer its owner by name.
		switch o.Kind {
		case "ReplicaSet":
			if h := labels["pod-template-hash"]; h != "" && strings.HasSuffix(o.Name, "-"+h) {
				d := strings.TrimSuffix(o.Name, "-"+h)
				if workloads["Deployment/"+ns+"/"+d] != nil {
					return "Deployment/" + d
				}
			}
		case "Job":
			if m := jobSuffix.FindStringSubmatch(o.Name); m != nil && workloads["CronJob/"+ns+"/"+m[1]] != nil {
				return "CronJob/" + m[1]
			}
		}
		return cur
	}
	return cur
}

func controllerOf(owners []metav1.OwnerReference) *metav1.OwnerReference {
	for i := range owners {
		if owners[i].Controller != nil && *owners[i].Controller {
			return &owners[i]
		}
	}
	if len(owners) > 0 {
		return &owners[0]
	}
	return nil
}

// synthesizeNamespaces creates every namespace that an object lives in but
// that the input did not declare, as the control plane would have it: with
// only the kubernetes.io/metadata.name label.
func (l *Loader) synthesizeNamespaces(s *Snapshot) {
	have := map[string]bool{}
	for _, ns := range s.Namespaces {
		have[ns.Name] = true
	}
	need := func(ns string, by ObjectRef) {
		if ns == "" || have[ns] {
			return
		}
		have[ns] = true
		s.Namespaces = append(s.Namespaces, &Namespace{
			ObjectRef:   ObjectRef{Kind: "Namespace", Name: ns},
			Labels:      map[string]string{"kubernetes.io/metadata.name": ns},
			Synthesized: true,
		})
		l.add(Diagnostic{Severity: Warning, Location: by.Source, Kind: by.Kind, Namespace: by.Namespace, Name: by.Name,
			Msg: fmt.Sprintf("namespace %q is not declared in the input; assuming it exists with only the label kubernetes.io/metadata.name=%s", ns, ns)})
	}
	for _, e := range s.Endpoints {
		need(e.Namespace, e.ObjectRef)
	}
	for _, x := range s.Services {
		need(x.Namespace, x.ObjectRef)
	}
	for _, x := range s.ServiceAccounts {
		need(x.Namespace, x.ObjectRef)
	}
	for _, x := range s.NetworkPolicies {
		need(x.Namespace, x.ObjectRef)
	}
	s.Calico.eachNamespaced(func(r ObjectRef) { need(r.Namespace, r) })
}
