package policy

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

func init() {
	register("v1", "Namespace", (*Loader).addNamespace)
	register("v1", "Pod", (*Loader).addPod)
	register("v1", "Service", (*Loader).addService)
	register("v1", "ServiceAccount", (*Loader).addServiceAccount)
	register("v1", "Node", (*Loader).addNode)
	register("v1", "ReplicationController", workloadHandler(func() workloadObject { return &corev1.ReplicationController{} }))
	register("apps/v1", "Deployment", workloadHandler(func() workloadObject { return &appsv1.Deployment{} }))
	register("apps/v1", "StatefulSet", workloadHandler(func() workloadObject { return &appsv1.StatefulSet{} }))
	register("apps/v1", "DaemonSet", workloadHandler(func() workloadObject { return &appsv1.DaemonSet{} }))
	register("apps/v1", "ReplicaSet", workloadHandler(func() workloadObject { return &appsv1.ReplicaSet{} }))
	register("batch/v1", "Job", workloadHandler(func() workloadObject { return &batchv1.Job{} }))
	register("batch/v1", "CronJob", workloadHandler(func() workloadObject { return &batchv1.CronJob{} }))
	register("networking.k8s.io/v1", "NetworkPolicy", (*Loader).addNetworkPolicy)
}

// meta checks the object's name and fills in its namespace: "default" for
// namespaced kinds given without one (as kubectl does), none for
// cluster-scoped kinds. An object whose name or namespace the API server
// would reject is left out (its name could not identify it).
func (c *decodeCtx) meta(m *metav1.ObjectMeta, namespaced bool) bool {
	c.name = m.Name
	if namespaced && m.Namespace != "" {
		c.namespace = m.Namespace
	}
	if m.Name == "" {
		if m.GenerateName != "" {
			c.errorf("metadata.name", "missing name (generateName %s is filled in by the API server; give the object a name)", quote(m.GenerateName))
		} else {
			c.errorf("metadata.name", "missing name")
		}
		return false
	}
	if errs := validateName(c.kind, m.Name); len(errs) > 0 {
		c.errorf("metadata.name", "invalid name %s: %s; the object is not read", quote(m.Name), strings.Join(errs, "; "))
		return false
	}
	if namespaced {
		if m.Namespace == "" {
			m.Namespace = "default"
		} else if errs := isDNS1123Label(m.Namespace); len(errs) > 0 {
			c.errorf("metadata.namespace", "invalid namespace %s: %s; the object is not read", quote(m.Namespace), strings.Join(errs, "; "))
			return false
		}
		c.namespace = m.Namespace
	} else {
		c.namespace = ""
		if m.Namespace != "" {
			c.warnf("metadata.namespace", "%s is cluster-scoped; the namespace %s is ignored", c.kind, quote(m.Namespace))
		}
		m.Namespace = ""
	}
	return true
}

// validateName checks an object name the way the API server does for its
// kind: Namespaces are DNS-1123 labels, Services DNS-1035 labels, and
// other kinds DNS-1123 subdomains.
func validateName(kind, name string) []string {
	switch kind {
	case "Namespace":
		return isDNS1123Label(name)
	case "Service":
		return validation.IsDNS1035Label(name)
	}
	return isDNS1123Subdomain(name)
}

// validLabels returns labels without the entries the API server would
// reject, reporting each as an error at path.key. The object is kept.
func validLabels(c *decodeCtx, path string, labels map[string]string) map[string]string {
	out := make(map[string]string, len(labels))
	for _, k := range sortedKeys(labels) {
		v := labels[k]
		if errs := isQualifiedName(k); len(errs) > 0 {
			c.errorf(path+"."+k, "invalid label key %s: %s; the label is ignored", quote(k), strings.Join(errs, "; "))
			continue
		}
		if errs := isValidLabelValue(v); len(errs) > 0 {
			c.errorf(path+"."+k, "invalid value %s for label %s: %s; the label is ignored", quote(v), k, strings.Join(errs, "; "))
			continue
		}
		out[k] = v
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (l *Loader) addNamespace(c *decodeCtx, j []byte) {
	var ns corev1.Namespace
	if !c.decode(j, &ns) || !c.meta(&ns.ObjectMeta, false) {
		return
	}
	labels := validLabels(c, "metadata.labels", ns.Labels)
	const nameLabel = "kubernetes.io/metadata.name"
	if v, ok := labels[nameLabel]; ok && v != ns.Name {
		c.warnf("metadata.labels."+nameLabel, "label %s=%q differs from the namespace name; the API server overwrites it with %q", nameLabel, v, ns.Name)
	}
	labels[nameLabel] = ns.Name
	l.store(&loaded{ref: c.ref(), obj: &Namespace{ObjectRef: c.ref(), Labels: labels, CalicoAnnotations: calicoAnnotations(ns.Annotations)}, doc: c.doc, at: c.at}, c.ref().Key())
}

// podRecord is a live pod before workload resolution.
type podRecord struct {
	ep     *Endpoint
	owners []metav1.OwnerReference
}

func (l *Loader) addPod(c *decodeCtx, j []byte) {
	var pod corev1.Pod
	if !c.decode(j, &pod) || !c.meta(&pod.ObjectMeta, true) {
		return
	}
	ref := c.ref()
	if ph := pod.Status.Phase; ph == corev1.PodSucceeded || ph == corev1.PodFailed {
		l.skip(ref, "v1", fmt.Sprintf("pod phase is %s: it has no network presence", ph), c.doc, c.at)
		c.diag(Info, "status.phase", fmt.Sprintf("skipped: pod phase is %s", ph))
		return
	}
	ep := &Endpoint{ObjectRef: ref}
	fillFromPodSpec(c, ep, "spec", &pod.Spec, validLabels(c, "metadata.labels", pod.Labels))
	ep.MeshAnnotations = meshAnnotations(pod.Annotations)
	ep.CalicoAnnotations = calicoAnnotations(pod.Annotations)
	ep.Node = pod.Spec.NodeName
	var ok bool
	if ep.IPs, ok = podIPs(c, &pod); !ok {
		return
	}
	l.store(&loaded{ref: ref, obj: &podRecord{ep: ep, owners: pod.OwnerReferences}, doc: c.doc, at: c.at}, ref.Key())
}

// fillFromPodSpec copies what matters for policy from a pod spec (of a pod
// or of a workload's template) into ep.
func fillFromPodSpec(c *decodeCtx, ep *Endpoint, path string, spec *corev1.PodSpec, labels map[string]string) {
	ep.Labels = labels
	ep.ServiceAccount = spec.ServiceAccountName
	if ep.ServiceAccount == "" {
		ep.ServiceAccount = spec.DeprecatedServiceAccount
	}
	if ep.ServiceAccount == "" {
		ep.ServiceAccount = "default"
	}
	ep.HostNetwork = spec.HostNetwork
	addPorts := func(list []corev1.Container, field string, init bool) {
		for i, ct := range list {
			for k, p := range ct.Ports {
				at := fmt.Sprintf("%s.%s[%d].ports[%d]", path, field, i, k)
				proto := TCP
				if p.Protocol != "" {
					var err error
					if proto, err = ParseKubeProtocol(string(p.Protocol)); err != nil {
						c.errorf(at+".protocol", "%v", err)
						continue
					}
				}
				if p.ContainerPort < 1 || p.ContainerPort > 65535 {
					c.errorf(at+".containerPort", "invalid port %d: expected 1-65535", p.ContainerPort)
					continue
				}
				if p.Name != "" {
					if errs := validation.IsValidPortName(p.Name); len(errs) > 0 {
						c.errorf(at+".name", "invalid port name %s: %s", quote(p.Name), strings.Join(errs, "; "))
						continue
					}
				}
				ep.Ports = append(ep.Ports, ContainerPort{Name: p.Name, Protocol: proto, Port: uint16(p.ContainerPort), Init: init})
			}
		}
	}
	addPorts(spec.Containers, "containers", false)
	addPorts(spec.InitContainers, "initContainers", true)
	ep.IstioProxy = hasIstioProxy(spec)
}

// podIPs reads status.podIPs, falling back to status.podIP, and
// normalises IPv4-mapped IPv6 addresses to IPv4. It reports false when the
// addresses break a rule the API server enforces on pod status
// (kubernetes/kubernetes pkg/apis/core/validation, validatePodIPs): status.podIP, when given, must equal
// status.podIPs[0].ip, and podIPs may hold at most one address of each
// family (so no duplicates). Such a pod cannot exist, so it is not read:
// keeping only some of its addresses would answer for a pod the cluster
// cannot have.
func podIPs(c *decodeCtx, pod *corev1.Pod) ([]netip.Addr, bool) {
	st := &pod.Status
	if len(st.PodIPs) > 0 && st.PodIP != "" && st.PodIP != st.PodIPs[0].IP {
		c.errorf("status.podIPs[0].ip", "address %s must be equal to status.podIP %s, as the API server requires; the pod is not read",
			quote(st.PodIPs[0].IP), quote(st.PodIP))
		return nil, false
	}
	var out []netip.Addr
	valid := true
	add := func(path, s string) {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			c.errorf(path, "invalid IP address %s", quote(s))
			valid = false
			return
		}
		ip = ip.Unmap()
		if slices.Contains(out, ip) {
			return
		}
		out = append(out, ip)
	}
	for i, p := range st.PodIPs {
		add(fmt.Sprintf("status.podIPs[%d].ip", i), p.IP)
	}
	if len(st.PodIPs) > 1 && valid && (len(st.PodIPs) > 2 || len(out) != 2 || out[0].Is4() == out[1].Is4()) {
		list := make([]string, len(st.PodIPs))
		for i, p := range st.PodIPs {
			list[i] = p.IP
		}
		c.errorf("status.podIPs", "may specify no more than one address of each IP family, got %s, as the API server requires; the pod is not read",
			quote(strings.Join(list, ", ")))
		return nil, false
	}
	if len(out) == 0 && st.PodIP != "" {
		add("status.podIP", st.PodIP)
	}
	return out, true
}

// workloadObject is any controller with a pod template: a pointer to one
// of the types objectMeta and templateOf know.
type workloadObject = any

// workloadRecord is a workload before resolution against live pods.
type workloadRecord struct {
	ep     *Endpoint // the template endpoint
	owners []metav1.OwnerReference
}

func workloadHandler(newObj func() workloadObject) kindHandler {
	return func(l *Loader, c *decodeCtx, j []byte) {
		obj := newObj()
		if !c.decode(j, obj) {
			return
		}
		m := objectMeta(obj)
		if !c.meta(m, true) {
			return
		}
		tmpl, path := templateOf(obj)
		ref := c.ref()
		ep := &Endpoint{ObjectRef: ref, Template: true, Workload: ref.Kind + "/" + ref.Name}
		if tmpl == nil {
			c.errorf(path, "missing pod template")
			return
		}
		fillFromPodSpec(c, ep, path+".spec", &tmpl.Spec, validLabels(c, path+".metadata.labels", tmpl.Labels))
		ep.MeshAnnotations = meshAnnotations(tmpl.Annotations)
		ep.CalicoAnnotations = calicoAnnotations(tmpl.Annotations)
		ep.Node = tmpl.Spec.NodeName
		l.store(&loaded{ref: ref, obj: &workloadRecord{ep: ep, owners: m.OwnerReferences}, doc: c.doc, at: c.at}, ref.Key())
	}
}

func objectMeta(o any) *metav1.ObjectMeta {
	switch w := o.(type) {
	case *appsv1.Deployment:
		return &w.ObjectMeta
	case *appsv1.StatefulSet:
		return &w.ObjectMeta
	case *appsv1.DaemonSet:
		return &w.ObjectMeta
	case *appsv1.ReplicaSet:
		return &w.ObjectMeta
	case *corev1.ReplicationController:
		return &w.ObjectMeta
	case *batchv1.Job:
		return &w.ObjectMeta
	case *batchv1.CronJob:
		return &w.ObjectMeta
	}
	panic(fmt.Sprintf("objectMeta: unexpected %T", o))
}

// templateOf returns a workload's pod template and its field path.
func templateOf(o any) (*corev1.PodTemplateSpec, string) {
	switch w := o.(type) {
	case *appsv1.Deployment:
		return &w.Spec.Template, "spec.template"
	case *appsv1.StatefulSet:
		return &w.Spec.Template, "spec.template"
	case *appsv1.DaemonSet:
		return &w.Spec.Template, "spec.template"
	case *appsv1.ReplicaSet:
		return &w.Spec.Template, "spec.template"
	case *corev1.ReplicationController:
		return w.Spec.Template, "spec.template"
	case *batchv1.Job:
		return &w.Spec.Template, "spec.template"
	case *batchv1.CronJob:
		return &w.Spec.JobTemplate.Spec.Template, "spec.jobTemplate.spec.template"
	}
	panic(fmt.Sprintf("templateOf: unexpected %T", o))
}

func (l *Loader) addService(c *decodeCtx, j []byte) {
	var svc corev1.Service
	if !c.decode(j, &svc) || !c.meta(&svc.ObjectMeta, true) {
		return
	}
	s := &Service{ObjectRef: c.ref(), Labels: maps.Clone(svc.Labels), Selector: maps.Clone(svc.Spec.Selector), Ports: svc.Spec.Ports}
	ips := svc.Spec.ClusterIPs
	if len(ips) == 0 && svc.Spec.ClusterIP != "" {
		ips = []string{svc.Spec.ClusterIP}
	}
	for i, s2 := range ips {
		if s2 == corev1.ClusterIPNone {
			continue // a headless service
		}
		ip, err := netip.ParseAddr(s2)
		if err != nil {
			path := "spec.clusterIP"
			if len(svc.Spec.ClusterIPs) > 0 {
				path = fmt.Sprintf("spec.clusterIPs[%d]", i)
			}
			c.errorf(path, "invalid IP address %s: expected an address or None", quote(s2))
			continue
		}
		s.ClusterIP = append(s.ClusterIP, ip.Unmap())
	}
	fillServiceExposure(c, s, &svc)
	l.store(&loaded{ref: c.ref(), obj: s, doc: c.doc, at: c.at}, c.ref().Key())
}

func (l *Loader) addServiceAccount(c *decodeCtx, j []byte) {
	var sa corev1.ServiceAccount
	if !c.decode(j, &sa) || !c.meta(&sa.ObjectMeta, true) {
		return
	}
	l.store(&loaded{ref: c.ref(), obj: &ServiceAccount{ObjectRef: c.ref(), Labels: maps.Clone(sa.Labels)}, doc: c.doc, at: c.at}, c.ref().Key())
}

func (l *Loader) addNode(c *decodeCtx, j []byte) {
	var node corev1.Node
	if !c.decode(j, &node) || !c.meta(&node.ObjectMeta, false) {
		return
	}
	n := &Node{ObjectRef: c.ref(), Labels: maps.Clone(node.Labels)}
	for i, a := range node.Status.Addresses {
		if a.Type != corev1.NodeInternalIP && a.Type != corev1.NodeExternalIP {
			continue
		}
		ip, err := netip.ParseAddr(a.Address)
		if err != nil {
			c.errorf(fmt.Sprintf("status.addresses[%d].address", i), "invalid IP address %s", quote(a.Address))
			continue
		}
		n.Addresses = append(n.Addresses, ip.Unmap())
		if a.Type == corev1.NodeInternalIP {
			n.InternalIPs = append(n.InternalIPs, ip.Unmap())
		}
	}
	l.store(&loaded{ref: c.ref(), obj: n, doc: c.doc, at: c.at}, c.ref().Key())
}

// ensure networkingv1 is linked for the NetworkPolicy handler in this file's init.
var _ = networkingv1.PolicyTypeIngress
