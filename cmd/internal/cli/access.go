package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/netreach/netreach/internal/access"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/internal/safetext"
)

// accessFlags are the switches of the access model (Services, Ingress,
// Gateway API, Routes): see docs/exposure-outside.md.
type accessFlags struct {
	controllers []string
	snat        string
}

func (a *accessFlags) register(fl *pflag.FlagSet) {
	fl.StringArrayVar(&a.controllers, "ingress-controller", nil, "pods of an ingress controller as [CLASS=]NAMESPACE/SELECTOR (repeatable); default: well-known labels, else the {ingress-controller} stand-in")
	fl.StringVar(&a.snat, "service-snat", "kube-proxy", "source address backends see for traffic from outside: kube-proxy (node address with externalTrafficPolicy Cluster) or none (client address kept)")
}

// options parses the flags.
func (a *accessFlags) options() (access.Options, error) {
	var o access.Options
	var err error
	if o.SNAT, err = access.ParseSNAT(a.snat); err != nil {
		return o, usageError("--service-snat: %v", err)
	}
	for _, s := range a.controllers {
		c, err := access.ParseController(s)
		if err != nil {
			return o, usageError("--ingress-controller: %v", err)
		}
		o.Controllers = append(o.Controllers, c)
	}
	return o, nil
}

// pseudoSource recognises the pseudo-entries explain accepts as --from.
func pseudoSource(s string) (string, bool) {
	switch strings.Trim(s, "{}") {
	case "internet":
		return access.Internet, true
	case "ingress-controller":
		return access.IngressController, true
	}
	return "", false
}

// explainAccess explains a flow from the internet or the ingress
// controllers to a Service or an endpoint: the path's hops, then the
// policy trace of the last hop.
func explainAccess(ctx context.Context, e *env, f *explainFlags, from string, snap *policy.Snapshot, ropts reachability.Options) error {
	opts, err := f.in.access.options()
	if err != nil {
		return err
	}
	m, err := f.in.compute(ctx, e, snap, ropts)
	if err != nil {
		return err
	}
	ev := access.NewEvaluator(snap, ropts, opts, m.ExternalAtoms())
	// --to names an endpoint, or a Service ("ns/name[Service]", or
	// "ns/name" when no endpoint has that name).
	var to access.Target
	name, isSvc := strings.CutSuffix(f.to, "[Service]")
	if dsts, err := reachability.Resolve(snap, name); !isSvc && err == nil && dsts[0].Endpoint != nil {
		to.Endpoint = dsts[0].Endpoint
	} else if ns, n, ok := strings.Cut(name, "/"); ok && snap.Service(ns, n) != nil {
		to.Service = snap.Service(ns, n)
	} else {
		return usageError("--to %q: expected namespace/service, namespace/service[Service] or namespace/pod", f.to)
	}
	var ports []reachability.Port
	if f.port != "" {
		proto, num, err := parsePortFlag(f.port)
		if err != nil {
			return usageError("--port: %v", err)
		}
		ports = append(ports, reachability.Port{Protocol: proto, Number: num})
	} else if to.Service != nil {
		for _, sp := range to.Service.Ports {
			proto, _ := policy.ParseKubeProtocol(string(sp.Protocol))
			ports = append(ports, reachability.Port{Protocol: proto, Number: uint16(sp.Port)})
			if sp.NodePort != 0 && from == access.Internet {
				ports = append(ports, reachability.Port{Protocol: proto, Number: uint16(sp.NodePort)})
			}
		}
	} else {
		return usageError("explain --from %s --to a pod needs --port", f.from)
	}
	if f.output == "text" {
		fmt.Fprintf(e.stdout, "# %s\n", m.Describe())
	}
	var paths []*access.Path
	for _, p := range ports {
		var path *access.Path
		if from == access.Internet {
			_, path = ev.FromInternet(to, p.Protocol, p.Number, true)
		} else {
			_, path = ev.FromController(to, p.Protocol, p.Number, true)
		}
		paths = append(paths, path)
	}
	if f.output == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Options string         `json:"options"`
			Paths   []*access.Path `json:"paths"`
		}{m.Describe(), paths})
	}
	for i, p := range paths {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		for _, ln := range strings.SplitAfter(p.Format(), "\n") {
			if ln != "" {
				fmt.Fprintln(e.stdout, safetext.Line(strings.TrimSuffix(ln, "\n")))
			}
		}
	}
	return nil
}
