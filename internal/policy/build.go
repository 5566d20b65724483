package policy

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Snapshot assembles everything added so far: live pods win over the
// templates of the workloads that own them, namespaces that are referenced
// but not declared are created (with a warning), and every list is sorted.
// The error is non-nil when any Error-severity diagnostic was found; the
// snapshot is complete apart from the rejected objects and rules.
func (l *Loader) Snapshot() (*Snapshot, error) {
	l.flush()
	l.finish()
	s := &Snapshot{}
	src := l.sources()
	l.simulateKyverno(s)
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
		case *KyvernoPolicy:
			// listed in s.Kyverno by simulateKyverno
		case *rejected:
			// owns the diagnostics of an object the loader refused
		default:
			if !s.Admin.add(v) && !s.Calico.add(v) && !s.Routing.add(v) && !s.Mesh.add(v) && !s.IPAM.add(v) {
				panic(fmt.Sprintf("Snapshot: unexpected object %T", v))
			}
		}
	}
	s.Endpoints = resolveWorkloads(pods, workloads)
	l.synthesizeNamespaces(s)
	s.index()
	l.checkEndpointIDs(s) // on the sorted endpoints
	l.checkNamedPorts(s)
	s.assignPools(l)
	s.Diagnostics = append(Diagnostics(nil), l.diags...)
	s.Diagnostics.Sort()
	if len(s.Kyverno.Policies) == 0 {
		s.src = src // With and Without start from the objects as read
	}
	return s, s.Diagnostics.Err()
}

// sources returns what the loader holds, for [Snapshot.With]: the
// objects without their documents (kept only for a Kyverno simulation).
func (l *Loader) sources() *sources {
	src := &sources{opts: l.opts, objects: l.objects, order: slices.Clone(l.order), loose: slices.Clone(l.loose)}
	src.opts.keepDocs = false
	if l.opts.keepDocs {
		src.objects = make(map[string]*loaded, len(l.objects))
		for k, o := range l.objects {
			c := *o
			c.doc = nil
			src.objects[k] = &c
		}
	}
	return src
}

// resolveWorkloads returns the live pods plus one template endpoint for
// every workload that has no live pod and is not itself owned by another
// given workload (a ReplicaSet of a given Deployment, a Job of a given
// CronJob).
func resolveWorkloads(pods []*podRecord, workloads map[string]*workloadRecord) []*Endpoint {
	covered := map[string]bool{} // "Kind/namespace/name" of workloads with live pods
	eps := make([]*Endpoint, 0, len(pods)+len(workloads))
	for _, p := range pods {
		chain := ownerChain(p.ep.Namespace, p.ep.Labels, p.owners, workloads)
		p.ep.Workload = ""
		if len(chain) > 0 {
			p.ep.Workload = chain[len(chain)-1]
		}
		for _, w := range chain {
			covered[workloadKey(p.ep.Namespace, w)] = true
		}
		eps = append(eps, p.ep)
	}
	for _, w := range workloads {
		represented := false // by a given workload that owns it
		for _, o := range ownerChain(w.ep.Namespace, w.ep.Labels, w.owners, workloads) {
			if o == w.ep.Workload {
				represented = false // ownerReferences form a cycle: keep it
				break
			}
			if workloads[workloadKey(w.ep.Namespace, o)] != nil {
				represented = true
			}
		}
		if represented || covered[w.ep.Key()] {
			continue // its owner, or its live pods, stand for it
		}
		eps = append(eps, w.ep)
	}
	return eps
}

// workloadKey turns "Kind/name" in namespace ns into the key of the
// workload in the map of given workloads, "Kind/ns/name".
func workloadKey(ns, w string) string {
	kind, name, _ := strings.Cut(w, "/")
	return kind + "/" + ns + "/" + name
}

var jobSuffix = regexp.MustCompile(`^(.+)-[0-9]+$`)

// ownerChain follows ownerReferences (controller first) from an object up
// to its outermost owner: Pod → ReplicaSet → Deployment, Pod → Job →
// CronJob. When an owner is not in the input, its own owner is not known;
// then a given Deployment is recognised by the pod-template-hash suffix of
// the ReplicaSet's name and a given CronJob by the numeric suffix of the
// Job's name. The result lists "Kind/name" of each owner, nearest first;
// it is empty when the object has no owner.
func ownerChain(ns string, labels map[string]string, owners []metav1.OwnerReference, workloads map[string]*workloadRecord) []string {
	var chain []string
	for len(chain) < 8 { // ownerReferences may form a cycle
		o := controllerOf(owners)
		if o == nil {
			return chain
		}
		chain = append(chain, o.Kind+"/"+o.Name)
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
					chain = append(chain, "Deployment/"+d)
				}
			}
		case "Job":
			if m := jobSuffix.FindStringSubmatch(o.Name); m != nil && workloads["CronJob/"+ns+"/"+m[1]] != nil {
				chain = append(chain, "CronJob/"+m[1])
			}
		}
		return chain
	}
	return chain
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
// only the kubernetes.io/metadata.name label. The warning is placed at one
// object that lives in the namespace, the first by name and kind, so that
// it does not depend on the order of the input.
func (l *Loader) synthesizeNamespaces(s *Snapshot) {
	have := map[string]bool{}
	for _, ns := range s.Namespaces {
		have[ns.Name] = true
	}
	first := map[string]ObjectRef{}
	need := func(ns string, by ObjectRef) {
		if ns == "" || have[ns] {
			return
		}
		if prev, ok := first[ns]; !ok || refLess(&by, &prev) || *by.ref() == *prev.ref() && locationLess(by.Source, prev.Source) {
			first[ns] = by
		}
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
	s.Routing.each(func(r ObjectRef) { need(r.Namespace, r) })
	s.Mesh.eachNamespaced(func(r ObjectRef) { need(r.Namespace, r) })
	names := make([]string, 0, len(first))
	for ns := range first {
		names = append(names, ns)
	}
	sort.Strings(names)
	for _, ns := range names {
		by := first[ns]
		s.Namespaces = append(s.Namespaces, &Namespace{
			ObjectRef:   ObjectRef{Kind: "Namespace", Name: ns},
			Labels:      map[string]string{"kubernetes.io/metadata.name": ns},
			Synthesized: true,
		})
		l.add(Diagnostic{Severity: Warning, Location: by.Source, Kind: by.Kind, Namespace: by.Namespace, Name: by.Name, Code: CodeUndeclaredNamespace, Value: ns,
			Msg: fmt.Sprintf("namespace %q is not declared in the input; assuming it exists with only the label kubernetes.io/metadata.name=%s", ns, ns)})
	}
}

// locationLess orders locations by file, document, line and column.
func locationLess(a, b Location) bool {
	if a.File != b.File {
		return a.File < b.File
	}
	if a.Doc != b.Doc {
		return a.Doc < b.Doc
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	return a.Col < b.Col
}

// checkEndpointIDs warns when two endpoints share "namespace/name" (a Pod
// and a workload of the same name, or two workloads of different kinds):
// reports name both the same way. s.Endpoints must be sorted.
func (l *Loader) checkEndpointIDs(s *Snapshot) {
	for i := 1; i < len(s.Endpoints); i++ {
		a, b := s.Endpoints[i-1], s.Endpoints[i]
		if a.ID() != b.ID() {
			continue
		}
		l.add(Diagnostic{Severity: Warning, Location: b.Source, Kind: b.Kind, Namespace: b.Namespace, Name: b.Name, Code: CodeAmbiguousName, Value: b.ID(),
			Msg: fmt.Sprintf("endpoint %s is also the name of %s (%s); reports cannot tell them apart", b.ID(), a.ObjectRef, a.Source)})
	}
}

// checkNamedPorts warns about every named port of a NetworkPolicy rule that
// no endpoint in the input declares with the rule's protocol: the port can
// match nothing, which is what the analysis assumes [docs/semantics.md §2.7], but
// more likely a container port is missing from the input or the name is
// misspelt. Nothing is reported when the input has no endpoints at all.
func (l *Loader) checkNamedPorts(s *Snapshot) {
	if len(s.Endpoints) == 0 {
		return
	}
	declared := map[string][]Protocol{} // port name -> protocols declaring it
	for _, e := range s.Endpoints {
		for _, p := range e.Ports {
			if p.Name != "" {
				declared[p.Name] = append(declared[p.Name], p.Protocol)
			}
		}
	}
	for _, key := range l.order {
		o := l.objects[key]
		np, ok := o.obj.(*NetworkPolicy)
		if !ok {
			continue
		}
		check := func(dir string, i int, ports []networkingv1.NetworkPolicyPort) {
			for k, p := range ports {
				if p.Port == nil || p.Port.Type != intstr.String || p.Protocol == nil {
					continue
				}
				proto, err := ParseKubeProtocol(string(*p.Protocol))
				if err != nil || validation.IsValidPortName(p.Port.StrVal) != nil {
					continue // reported by validation
				}
				protos := declared[p.Port.StrVal]
				if slices.Contains(protos, proto) {
					continue
				}
				field := fmt.Sprintf("spec.%s[%d].ports[%d].port", dir, i, k)
				msg := fmt.Sprintf("no container port in the input is named %q, so this port matches nothing", p.Port.StrVal)
				if len(protos) > 0 {
					msg = fmt.Sprintf("container ports named %q use %s, not %s, so this port matches nothing", p.Port.StrVal, protocolList(protos), proto)
				}
				loc, ok := o.portAt[field]
				if !ok {
					loc = np.Source
				}
				l.add(Diagnostic{Severity: Warning, Location: loc, Kind: np.Kind, Namespace: np.Namespace, Name: np.Name, Field: field,
					Code: CodeUnresolvedNamedPort, Value: p.Port.StrVal, Msg: msg})
			}
		}
		for i, r := range np.Spec.Ingress {
			check("ingress", i, r.Ports)
		}
		for i, r := range np.Spec.Egress {
			check("egress", i, r.Ports)
		}
	}
}

// protocolList names a set of protocols: "UDP" or "SCTP and UDP".
func protocolList(ps []Protocol) string {
	names := make([]string, 0, len(ps))
	for _, p := range ps {
		if n := p.String(); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return strings.Join(names, " and ")
}
