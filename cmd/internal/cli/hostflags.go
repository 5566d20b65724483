package cli

import (
	"github.com/spf13/pflag"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/policy/calicov3"
	"github.com/netreach/netreach/internal/reachability"
)

// hostFlags override the Felix settings of Calico host endpoints, as
// Felix's environment variables do (docs/calico-host-endpoints.md §5).
type hostFlags struct {
	inbound, outbound, toHost string
	fl                        *pflag.FlagSet
}

func (h *hostFlags) register(fl *pflag.FlagSet) {
	h.fl = fl
	fl.StringVar(&h.inbound, "failsafe-inbound", "", `Calico failsafe inbound host ports, as FELIX_FAILSAFEINBOUNDHOSTPORTS: "tcp:22,udp:68,tcp:10.0.0.0/8:6443" or "none" (default: FelixConfiguration, else Felix's defaults)`)
	fl.StringVar(&h.outbound, "failsafe-outbound", "", `Calico failsafe outbound host ports, as FELIX_FAILSAFEOUTBOUNDHOSTPORTS (default: FelixConfiguration, else Felix's defaults)`)
	fl.StringVar(&h.toHost, "endpoint-to-host", "", "Calico defaultEndpointToHostAction for pods connecting to their own host: Drop, Accept or Return (default: FelixConfiguration, else Drop)")
}

// apply sets the overrides the user gave.
func (h *hostFlags) apply(opts *reachability.Options) error {
	if h.fl == nil {
		return nil
	}
	if h.fl.Changed("failsafe-inbound") {
		ps, err := calicov3.ParseProtoPorts(h.inbound)
		if err != nil {
			return usageError("--failsafe-inbound: %v", err)
		}
		opts.HostEndpoints.FailsafeInbound = &ps
	}
	if h.fl.Changed("failsafe-outbound") {
		ps, err := calicov3.ParseProtoPorts(h.outbound)
		if err != nil {
			return usageError("--failsafe-outbound: %v", err)
		}
		opts.HostEndpoints.FailsafeOutbound = &ps
	}
	if h.fl.Changed("endpoint-to-host") {
		a, err := policy.ParseEndpointToHost(h.toHost)
		if err != nil {
			return usageError("--endpoint-to-host: %v", err)
		}
		opts.HostEndpoints.EndpointToHost = &a
	}
	return nil
}
