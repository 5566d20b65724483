package policy

import (
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// OpenShiftRouteSpec mirrors spec of a route.openshift.io/v1 Route (the
// OpenShift API module is not a dependency of netreach): every field is
// declared so that strict decoding reports only real mistakes; the fields
// that do not decide where connections go are kept as raw JSON.
type OpenShiftRouteSpec struct {
	Host              string                 `json:"host,omitempty"`
	Subdomain         string                 `json:"subdomain,omitempty"`
	Path              string                 `json:"path,omitempty"`
	To                OpenShiftRouteTarget   `json:"to"`
	AlternateBackends []OpenShiftRouteTarget `json:"alternateBackends,omitempty"`
	Port              *OpenShiftRoutePort    `json:"port,omitempty"`
	TLS               *OpenShiftRouteTLS     `json:"tls,omitempty"`
	WildcardPolicy    string                 `json:"wildcardPolicy,omitempty"`
	HTTPHeaders       json.RawMessage        `json:"httpHeaders,omitempty"`
}

// OpenShiftRouteTarget is a backend of a Route: a Service, with a weight.
type OpenShiftRouteTarget struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Weight *int32 `json:"weight,omitempty"`
}

// OpenShiftRoutePort selects the port of the backends: a number is a
// target port of the endpoints, a name is the name of a Service port.
type OpenShiftRoutePort struct {
	TargetPort intstr.IntOrString `json:"targetPort"`
}

// OpenShiftRouteTLS is the TLS configuration of a Route.
type OpenShiftRouteTLS struct {
	Termination                   string          `json:"termination"`
	Certificate                   string          `json:"certificate,omitempty"`
	Key                           string          `json:"key,omitempty"`
	CACertificate                 string          `json:"caCertificate,omitempty"`
	DestinationCACertificate      string          `json:"destinationCACertificate,omitempty"`
	InsecureEdgeTerminationPolicy string          `json:"insecureEdgeTerminationPolicy,omitempty"`
	ExternalCertificate           json.RawMessage `json:"externalCertificate,omitempty"`
}

// openShiftRoute is the whole object as decoded.
type openShiftRoute struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              OpenShiftRouteSpec `json:"spec"`
	Status            json.RawMessage    `json:"status,omitempty"`
}
