// Package live reads a running Kubernetes cluster into a
// [policy.Snapshot], through the API server with client-go, as `netreach
// --kubeconfig/--context` and the `kubectl netreach` plugin do.
//
// [Read] discovers which resources the server serves, picks one version
// of each kind netreach evaluates (namespaces, pods, workloads, services,
// endpoint slices, ingresses and routes, nodes, and every policy kind:
// NetworkPolicy, AdminNetworkPolicy, ClusterNetworkPolicy, Calico, Istio,
// Kyverno), and lists each resource in pages ([Options.PageSize]), so
// memory holds one page of text at a time plus the snapshot. Each object
// is loaded as the manifest `kubectl get -o yaml` prints for it, so its
// validation and diagnostics are those of a file; a diagnostic's
// [policy.Location] names the object instead of a file:
// "kind-prod:networkpolicies.networking.k8s.io/shop/deny-all:11:5".
//
// What the server does not give never stops the read: an API group that
// is not served (a CRD that is not installed), a resource the credentials
// may not list (403), an aggregated API that is down. Each becomes a
// diagnostic of the returned snapshot, with one of the codes
// [CodeNotServed], [CodeForbidden], [CodeUnavailable], [CodeListExpired]
// and [CodeNotFound], so that a program can tell a complete answer from
// one that leaves objects out. Any other failure of the API server stops
// the read with an error, because the answer would rest on a silently
// partial cluster. docs/live.md lists the permissions needed (get and
// list only; no Secrets or ConfigMaps).
package live

import (
	"context"
	"io"

	"github.com/netreach/netreach/internal/bridge"
	ilive "github.com/netreach/netreach/internal/live"
	ipolicy "github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/public"
	"github.com/netreach/netreach/policy"
)

// DefaultPageSize is the number of objects asked for in one list request
// when [Options.PageSize] is zero, as kubectl asks.
const DefaultPageSize = 500

// The codes of the diagnostics a read adds to the snapshot, besides the
// loader's own ([policy.Codes] lists them all). Their Value is the
// resource ("serviceaccounts"), the API group(s) or the object's name.
const (
	// CodeNotServed: an API group or resource the server does not serve
	// (its CRD is not installed, or was removed while reading), or
	// serves in no version netreach reads; none of its objects are read.
	CodeNotServed policy.Code = "NotServed"
	// CodeForbidden: the credentials may not list (or get) a resource;
	// its objects are left out of the snapshot.
	CodeForbidden policy.Code = "Forbidden"
	// CodeUnavailable: the discovery of an API group failed (an
	// aggregated API that is down); its objects are left out.
	CodeUnavailable policy.Code = "Unavailable"
	// CodeListExpired: a paged list took longer than the server keeps
	// its snapshot; the later pages come from a newer state, so objects
	// changed meanwhile may be missing or seen twice.
	CodeListExpired policy.Code = "ListExpired"
	// CodeNotFound: a namespace of [Options.Namespaces] does not exist.
	CodeNotFound policy.Code = "NotFound"
)

// Options say which cluster to read and how. The zero value reads every
// namespace of the current context of the default kubeconfig.
type Options struct {
	// Kubeconfig is a kubeconfig file to read; empty follows client-go's
	// loading rules, as kubectl does: the files of $KUBECONFIG, else
	// ~/.kube/config, else the in-cluster service account.
	Kubeconfig string
	// Context is the kubeconfig context to use; empty means the current
	// one. It names the source of every object (the file part of its
	// locations), "in-cluster" for the service account.
	Context string
	// Namespaces, when not empty, restricts the lists of namespaced
	// resources to these namespaces and reads only these Namespace
	// objects; cluster-scoped resources (nodes, cluster-wide policies)
	// are read in full. Pods of other namespaces are then unknown: their
	// addresses count as addresses outside the cluster.
	Namespaces []string
	// PageSize is the limit of one list request; 0 means
	// [DefaultPageSize].
	PageSize int64
	// Progress, when not nil, is called after each page with the
	// resource being read ("pods", "networkpolicies.networking.k8s.io"),
	// the objects of it read so far and the estimated total (0 when the
	// server gives no estimate).
	Progress func(resource string, done, total int)
	// Manifests, when not nil, receives every object read, as the
	// multi-document YAML stream `netreach snapshot -o FILE` writes, so
	// that the analysis can be rerun offline on exactly what was read
	// (policy.Load of that file gives the same snapshot, less the
	// diagnostics of the read itself).
	Manifests io.Writer
	// Load are the options of loading what was read, as for
	// [policy.Load]: Strict, Kyverno and the size limits (Stdin is not
	// used).
	Load policy.LoadOptions
}

// Read reads the cluster opts select and returns its snapshot. The
// snapshot's diagnostics hold those of the loader and the notes of the
// read (see the package documentation); like [policy.Load], Read returns
// the snapshot even when the input has errors, with the error a
// [policy.Diagnostics] of them. The error is otherwise, with a nil
// snapshot, the failure to find the cluster (a kubeconfig error), to
// discover its resources or to list one (other than a 403 or 404),
// ctx's error when ctx ends, or the failure to write opts.Manifests; a nil
// ctx is an [*policy.InvalidInputError].
func Read(ctx context.Context, opts Options) (*policy.Snapshot, error) {
	if ctx == nil {
		return nil, &policy.InvalidInputError{Op: "live: Read", Reason: "nil context"}
	}
	c, err := ilive.Connect(ilive.KubeconfigOptions{Path: opts.Kubeconfig, Context: opts.Context},
		ilive.Options{Namespaces: opts.Namespaces, PageSize: opts.PageSize, Progress: opts.Progress})
	if err != nil {
		return nil, err
	}
	l := ipolicy.NewLoader(public.LoadOptions(opts.Load))
	var w *ilive.Writer
	if opts.Manifests != nil {
		w = ilive.NewStreamWriter(opts.Manifests)
	}
	notes, err := c.Read(ctx, func(o ilive.Object) error {
		l.AddBytes(o.Source(c.Name()), o.Manifest)
		if w != nil {
			return w.Write(o)
		}
		return nil
	})
	if err == nil && w != nil {
		err = w.Close()
	}
	if err != nil {
		return nil, public.Error(err)
	}
	l.AddNotes(notes)
	s, err := l.Snapshot()
	return bridge.WrapSnapshot(s).(*policy.Snapshot), public.Error(err)
}
