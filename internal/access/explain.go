package access

import (
	"strings"
	"sync"
)

// explainer explains derived verdicts of a matrix with the reference
// evaluator, built on first use.
type explainer struct {
	f    *fast
	opts Options
	once sync.Once
	ev   *Evaluator
}

// explain returns the path of the flow from entry src to entry dst on
// port atom p (its first port), one line per hop; nil for a protocol
// without ports.
func (x *explainer) explain(src, dst, p int) []string {
	f := x.f
	a := f.ports[p]
	if a.Others || !a.Protocol.HasPorts() {
		return nil
	}
	x.once.Do(func() {
		m := f.m
		x.ev = NewEvaluator(m.Snapshot(), m.Options(), x.opts, m.ExternalAtoms())
	})
	var to Target
	if dst >= f.base {
		to.Service = f.services[dst-f.base-f.controllerOffset()]
	} else {
		to.Endpoint = f.m.Endpoint(dst)
	}
	var path *Path
	switch {
	case src == f.internet:
		_, path = x.ev.FromInternet(to, a.Protocol, a.Lo, true)
	case src == f.controller:
		_, path = x.ev.FromController(to, a.Protocol, a.Lo, true)
	case to.Service != nil && src < f.base:
		_, path = x.ev.FromEndpoint(f.m.Endpoint(src), to.Service, a.Protocol, a.Lo, true)
	default:
		return nil
	}
	return strings.Split(strings.TrimRight(path.Format(), "\n"), "\n")
}
