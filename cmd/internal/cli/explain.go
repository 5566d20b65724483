package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netreach/netreach/internal/reachability"
)

func init() { registerCommand(newExplainCmd) }

type explainFlags struct {
	in       inputFlags
	view     viewFlags
	all      bool
	from, to string
	port     string
	output   string
}

func newExplainCmd(e *env) *cobra.Command {
	f := &explainFlags{}
	c := &cobra.Command{
		Use:   "explain -f FILE|DIR|- (--from SRC --to DST | --all [--by ...] [--focus SEL]) [--port 443/TCP] [-o text|json]",
		Short: "Explain why a connection is allowed or denied",
		Long: `explain shows the verdict for one connection, then the egress side at the
source and the ingress side at the destination: every tier, policy and rule
consulted in evaluation order, whether each policy selected the endpoint,
whether each rule matched (and which part failed: peer, port, protocol,
except block), and what decided — a rule, isolation, an end-of-tier deny, or
the default allow.

--from takes namespace/pod, namespace/workload or an IP address, or internet
or ingress-controller: then the path through Services, Ingresses, Gateway API
routes and Routes is shown hop by hop (internet → load balancer or node →
ingress controller → backend), each network-policy hop with its trace.
--to also takes namespace/service: the service's selector and port mapping
(numeric and named target ports) are resolved and every backing endpoint is
explained. Without --port, every group of port atoms with a different
outcome is explained.

--all explains every ordered pair of groups of a view (--by pod, workload,
namespace or tenant; --focus, --direction, --connection and --port narrow
it): the ways its flows are decided, each with its connections, the
number of member pairs it holds for, and what decided each side.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runExplain(c.Context(), e, f) },
	}
	f.in.register(c)
	f.view.register(c)
	c.Flags().BoolVar(&f.all, "all", false, "explain every pair of groups of the view (see --by, --focus)")
	c.Flags().StringVar(&f.from, "from", "", "source: namespace/pod, namespace/workload or IP")
	c.Flags().StringVar(&f.to, "to", "", "destination: namespace/pod, namespace/workload, namespace/service or IP")
	c.Flags().StringVar(&f.port, "port", "", "destination port as NUMBER/PROTOCOL (80/TCP); for a service, the service port")
	c.Flags().StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	return c
}

// explained is one explained flow, as printed.
type explained struct {
	Ports   []string            `json:"ports"`
	Service string              `json:"service,omitempty"`
	Trace   *reachability.Trace `json:"trace"`
}

func runExplain(ctx context.Context, e *env, f *explainFlags) error {
	if f.all {
		return runExplainAll(ctx, e, f)
	}
	if f.from == "" || f.to == "" {
		return usageError("explain needs --from and --to")
	}
	if f.output != "text" && f.output != "json" {
		return usageError("-o %q: expected text or json", f.output)
	}
	var port *reachability.Port
	if f.port != "" {
		proto, num, err := parsePortFlag(f.port)
		if err != nil {
			return usageError("--port: %v", err)
		}
		port = &reachability.Port{Protocol: proto, Number: num}
	}
	snap, opts, err := f.in.load(e)
	if err != nil {
		return err
	}
	if from, ok := pseudoSource(f.from); ok {
		return explainAccess(ctx, e, f, from, snap, opts)
	}
	srcs, err := reachability.Resolve(snap, f.from)
	if err != nil {
		return usageError("--from %v", err)
	}
	src := srcs[0]
	if len(srcs) > 1 {
		fmt.Fprintf(e.stderr, "note: %s stands for %d endpoints; explaining %s\n", f.from, len(srcs), src)
	}
	ev := reachability.NewEvaluator(snap, opts)
	f.in.report(e, ev.Diagnostics())
	var out []explained
	if ns, name, ok := strings.Cut(f.to, "/"); ok && snap.Service(ns, name) != nil {
		targets, err := reachability.ServiceTargets(snap, ns, name, port)
		if err != nil {
			return usageError("--to %v", err)
		}
		if len(targets) == 0 {
			return &exitError{code: ExitFailed, err: fmt.Errorf("service %s selects no endpoint: nothing can reach it", f.to)}
		}
		for _, t := range targets {
			svc := fmt.Sprintf("service %s port %d/%s → %s", f.to, t.ServicePort, t.Protocol, t.Endpoint.ID())
			if t.Port == 0 {
				svc += ": the named target port is not declared by this pod, so the connection cannot reach it"
				out = append(out, explained{Service: svc})
				continue
			}
			flow := reachability.Flow{Src: src, Dst: reachability.EndpointEntity(t.Endpoint), Protocol: t.Protocol, Port: t.Port}
			_, tr := ev.Evaluate(flow)
			out = append(out, explained{Ports: []string{fmt.Sprintf("%d/%s", t.Port, t.Protocol)}, Service: svc, Trace: tr})
		}
		return writeExplained(e.stdout, f.output, ev.Describe(), out)
	}
	dsts, err := reachability.Resolve(snap, f.to)
	if err != nil {
		return usageError("--to %v", err)
	}
	dst := dsts[0]
	if len(dsts) > 1 {
		fmt.Fprintf(e.stderr, "note: %s stands for %d endpoints; explaining %s\n", f.to, len(dsts), dst)
	}
	if port != nil {
		_, tr := ev.Evaluate(reachability.Flow{Src: src, Dst: dst, Protocol: port.Protocol, Port: port.Number})
		out = append(out, explained{Ports: []string{port.String()}, Trace: tr})
		return writeExplained(e.stdout, f.output, ev.Describe(), out)
	}
	// Every port atom, grouped by outcome.
	m, err := f.in.compute(ctx, e, snap, opts)
	if err != nil {
		return err
	}
	groups := map[string]int{}
	for _, at := range m.PortAtoms() {
		_, tr := ev.Evaluate(reachability.Flow{Src: src, Dst: dst, Protocol: at.Protocol, Port: at.Lo})
		key := traceKey(tr)
		if k, ok := groups[key]; ok {
			out[k].Ports = append(out[k].Ports, at.String())
			continue
		}
		groups[key] = len(out)
		out = append(out, explained{Ports: []string{at.String()}, Trace: tr})
	}
	return writeExplained(e.stdout, f.output, ev.Describe(), out)
}

// traceKey identifies an outcome: the verdict and what decided each side.
func traceKey(t *reachability.Trace) string {
	side := func(s reachability.SideTrace) string {
		k := s.Verdict.String() + "|" + s.Decision.String()
		if s.Decider != nil {
			k += fmt.Sprintf("|%s#%d", s.Decider.Policy.Key(), s.Decider.Index)
		}
		return k
	}
	k := t.Verdict.String() + "/" + side(t.Egress) + "/" + side(t.Ingress)
	if t.Mesh != nil {
		k += "/" + t.Mesh.Verdict.String() + "|" + t.Mesh.Decider + "|" + strings.Join(t.Mesh.Conditions, ";")
		for _, st := range t.Mesh.Stages {
			k += "|" + st.Decision
		}
	}
	return k
}

func writeExplained(w io.Writer, format, options string, out []explained) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Options string      `json:"options"`
			Flows   []explained `json:"flows"`
		}{options, out})
	}
	fmt.Fprintf(w, "# %s\n", options)
	for i, x := range out {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if x.Service != "" {
			fmt.Fprintln(w, x.Service)
		}
		if x.Trace == nil {
			continue
		}
		if len(x.Ports) > 1 {
			fmt.Fprintf(w, "ports %s:\n", strings.Join(x.Ports, ", "))
		}
		fmt.Fprint(w, reachability.FormatTrace(x.Trace))
	}
	return nil
}
