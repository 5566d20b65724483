package access

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netreach/netreach/internal/selector"
)

// SNAT says what source address a backend's network policy sees for a
// connection from outside the cluster [docs/exposure-outside.md §2].
type SNAT uint8

const (
	// SNATKubeProxy is kube-proxy's behaviour (iptables and IPVS modes):
	// with externalTrafficPolicy: Cluster a connection that a node
	// forwards to a backend on another node is source-NATed to that
	// node's address; with Local the client's address is kept. The zero
	// value.
	SNATKubeProxy SNAT = iota
	// SNATNone keeps the client's address in every case, as dataplanes
	// that forward without source NAT do (direct server return, Calico's
	// and Cilium's eBPF service handling with source preservation).
	SNATNone
)

// String returns "kube-proxy" or "none".
func (s SNAT) String() string {
	if s == SNATNone {
		return "none"
	}
	return "kube-proxy"
}

// ParseSNAT parses "kube-proxy" or "none".
func ParseSNAT(s string) (SNAT, error) {
	switch s {
	case "kube-proxy", "":
		return SNATKubeProxy, nil
	case "none":
		return SNATNone, nil
	}
	return 0, fmt.Errorf("invalid service SNAT %q: expected kube-proxy or none", s)
}

// Options are the switches of the access model. The zero value means
// the defaults.
type Options struct {
	// Controllers name the pods of the ingress controllers; when none
	// matches a class, well-known labels are tried, and then the
	// "{ingress-controller}" stand-in is used.
	Controllers []Controller
	// SNAT says what source address backends see for connections from
	// outside the cluster.
	SNAT SNAT
}

// Controller names the pods of an ingress controller: the pods in
// Namespace matching Selector. Class restricts it to the Ingresses of an
// IngressClass, the routes of a GatewayClass or, with "openshift", to
// OpenShift Routes; empty means every class.
type Controller struct {
	Class     string
	Namespace string
	Selector  selector.Selector
	// Text is the flag as given.
	Text string
}

// ParseController parses "[CLASS=]NAMESPACE/SELECTOR", the selector in
// kubectl's syntax ("app=nginx,tier in (edge)"); an empty selector
// selects every pod of the namespace.
func ParseController(s string) (Controller, error) {
	c := Controller{Text: s}
	rest := s
	if class, r, ok := strings.Cut(s, "="); ok && !strings.Contains(class, "/") {
		c.Class, rest = class, r
	}
	ns, sel, ok := strings.Cut(rest, "/")
	if !ok || ns == "" {
		return c, fmt.Errorf("invalid ingress controller %q: expected [CLASS=]NAMESPACE/SELECTOR, such as ingress-nginx/app.kubernetes.io/component=controller", s)
	}
	c.Namespace = ns
	ls, err := metav1.ParseToLabelSelector(sel)
	if err != nil {
		return c, fmt.Errorf("invalid ingress controller %q: selector: %v", s, err)
	}
	if c.Selector, err = selector.FromLabelSelector(ls); err != nil {
		return c, fmt.Errorf("invalid ingress controller %q: selector: %v", s, err)
	}
	return c, nil
}

// describe returns the switches as "key=value" pairs.
func (o Options) describe() string {
	parts := []string{"serviceSNAT=" + o.SNAT.String()}
	for _, c := range o.Controllers {
		parts = append(parts, "ingressController="+c.Text)
	}
	return strings.Join(parts, " ")
}
