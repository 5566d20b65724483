package live

import (
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// DefaultPageSize is the number of objects asked for in one list request
// when Options.PageSize is zero (kubectl asks for 500).
const DefaultPageSize = 500

// Options configures a [Cluster]. The zero value reads every namespace
// with the defaults.
type Options struct {
	// Namespaces, when not empty, restricts the lists of namespaced
	// resources to these namespaces, and reads only these Namespace
	// objects. Cluster-scoped resources (nodes, cluster-wide policies)
	// are read in full.
	Namespaces []string
	// PageSize is the limit of one list request (0 means
	// DefaultPageSize).
	PageSize int64
	// Progress, when set, is called after each page with the resource
	// being read ("pods", "networkpolicies.networking.k8s.io"), the
	// objects of it read so far and the estimated total (0 when the
	// server gives no estimate).
	Progress func(resource string, done, total int)
}

// KubeconfigOptions say where the credentials of a cluster come from. The
// zero value follows client-go's loading rules, as kubectl does: the files
// of $KUBECONFIG, else ~/.kube/config, else the in-cluster service account.
type KubeconfigOptions struct {
	// Path is a kubeconfig file to read instead of the loading rules.
	Path string
	// Context is the kubeconfig context to use instead of the current one.
	Context string
}

// RESTConfig returns the client configuration the options select and the
// name of the context ("in-cluster" when the service account is used).
func RESTConfig(k KubeconfigOptions) (*rest.Config, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if k.Path != "" {
		rules.ExplicitPath = k.Path
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: k.Context}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	name := k.Context
	if name == "" {
		raw, err := cc.RawConfig()
		if err == nil {
			name = raw.CurrentContext
		}
	}
	if name == "" {
		name = "in-cluster"
	}
	return cfg, name, nil
}
