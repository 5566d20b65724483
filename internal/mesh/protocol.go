package mesh

import (
	"sort"
	"strconv"
	"strings"

	"github.com/netreach/netreach/internal/policy"
)

// AppProtocol is the application protocol a proxy sees on a port.
type AppProtocol uint8

// Application protocols.
const (
	// Detected: no Service declares the port's protocol, so Istio sniffs
	// each connection: it may be HTTP or not.
	Detected AppProtocol = iota
	// HTTP: declared http, http2, grpc or grpc-web; HTTP fields of a rule
	// are checked per request.
	HTTP
	// Opaque: declared tcp, tls, https, mongo, mysql, redis...; the proxy
	// sees a byte stream, and HTTP-only fields cannot be checked.
	Opaque
)

// String returns "detected", "http" or "tcp".
func (p AppProtocol) String() string {
	switch p {
	case HTTP:
		return "http"
	case Opaque:
		return "tcp"
	}
	return "detected"
}

// declaredProtocol reads a Service port's protocol as Istio does: the
// appProtocol field, else the port name's prefix "<protocol>[-<suffix>]"
// [docs/mesh.md §4.5]. ok is false when neither declares a
// protocol Istio knows.
func declaredProtocol(name string, appProtocol *string) (AppProtocol, bool) {
	p := ""
	if appProtocol != nil && *appProtocol != "" {
		p = strings.ToLower(*appProtocol)
	} else {
		p, _, _ = strings.Cut(strings.ToLower(name), "-")
	}
	switch p {
	case "http", "http2", "grpc", "grpc-web", "kubernetes.io/h2c":
		return HTTP, true
	case "tcp", "tls", "https", "mongo", "mysql", "redis", "udp":
		return Opaque, true
	}
	return Detected, false
}

// Protocol returns the application protocol a workload's proxy sees on a
// TCP port: what the Services selecting the workload declare for the
// service ports whose target is that port; Detected when none declares it
// or they disagree [docs/mesh.md §4.5].
func (m *Model) Protocol(dst *policy.Endpoint, port uint16) AppProtocol {
	found, result := false, Detected
	for _, svc := range m.servicesOf(dst) {
		for _, sp := range svc.Ports {
			if sp.Protocol != "" && sp.Protocol != "TCP" {
				continue
			}
			if targetPort(dst, sp.Port, sp.TargetPort.StrVal, int(sp.TargetPort.IntVal)) != port {
				continue
			}
			p, ok := declaredProtocol(sp.Name, sp.AppProtocol)
			if !ok {
				return Detected
			}
			if found && p != result {
				return Detected
			}
			found, result = true, p
		}
	}
	return result
}

// targetPort resolves a service port's target on an endpoint: a number, a
// named TCP container port, or the service port itself; 0 when the name
// is not declared.
func targetPort(e *policy.Endpoint, port int32, name string, number int) uint16 {
	switch {
	case name != "":
		for _, cp := range e.Ports {
			if cp.Name == name && cp.Protocol == policy.TCP {
				return cp.Port
			}
		}
		return 0
	case number != 0:
		return uint16(number)
	}
	return uint16(port)
}

// protocolKey lists the ports whose protocol a Service declares, and the
// names of the Services that select the endpoint (policies can target
// them), for the class key.
func (m *Model) protocolKey(e *policy.Endpoint) string {
	ports := map[uint16]bool{}
	var names []string
	for _, svc := range m.servicesOf(e) {
		names = append(names, svc.Name)
		for _, sp := range svc.Ports {
			if p := targetPort(e, sp.Port, sp.TargetPort.StrVal, int(sp.TargetPort.IntVal)); p != 0 {
				ports[p] = true
			}
		}
	}
	list := make([]int, 0, len(ports))
	for p := range ports {
		list = append(list, int(p))
	}
	sort.Ints(list)
	var b strings.Builder
	b.WriteString(strings.Join(names, ","))
	for _, p := range list {
		b.WriteByte('|')
		b.WriteString(strconv.Itoa(p))
		b.WriteByte('=')
		b.WriteString(m.Protocol(e, uint16(p)).String())
	}
	return b.String()
}

// ServicePorts returns every TCP port a Service targets on some endpoint:
// the engine cuts port atoms there, since the protocol may differ.
func (m *Model) ServicePorts() []uint16 {
	seen := map[uint16]bool{}
	for _, e := range m.snap.Endpoints {
		if m.Member(e).Dataplane == NoDataplane {
			continue
		}
		for _, svc := range m.servicesOf(e) {
			for _, sp := range svc.Ports {
				if p := targetPort(e, sp.Port, sp.TargetPort.StrVal, int(sp.TargetPort.IntVal)); p != 0 {
					seen[p] = true
				}
			}
		}
	}
	out := make([]uint16, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	return out
}
