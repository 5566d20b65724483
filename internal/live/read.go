package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"sync"

	yaml2 "go.yaml.in/yaml/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"github.com/netreach/netreach/internal/policy"
)

// Cluster reads the objects netreach evaluates from one Kubernetes API
// server. It holds no objects itself. A Cluster is safe for concurrent
// use, but each Read lists everything again.
type Cluster struct {
	name string
	dc   *discovery.DiscoveryClient
	rc   rest.Interface
	opts Options
}

// New returns a Cluster that reads through cfg; name (the kubeconfig
// context) locates diagnostics and names the source of every object.
func New(cfg *rest.Config, name string, opts Options) (*Cluster, error) {
	cfg = rest.CopyConfig(cfg)
	// JSON, not protobuf: the loader reads the text a file would hold.
	cfg.ContentType = "application/json"
	cfg.AcceptContentTypes = "application/json"
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", name, err)
	}
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	return &Cluster{name: name, dc: dc, rc: dc.RESTClient(), opts: opts}, nil
}

// Connect returns the Cluster that the kubeconfig options select.
func Connect(k KubeconfigOptions, opts Options) (*Cluster, error) {
	cfg, name, err := RESTConfig(k)
	if err != nil {
		return nil, err
	}
	return New(cfg, name, opts)
}

// Name returns the name the cluster was given (its kubeconfig context).
func (c *Cluster) Name() string { return c.name }

// Object is one object read from the cluster.
type Object struct {
	Resource        Resource
	Namespace, Name string
	// Manifest is the object as `kubectl get -o yaml` prints it: keys
	// sorted, apiVersion and kind set, metadata.managedFields left out.
	Manifest []byte
}

// Source returns the name under which the object's manifest is read,
// which diagnostics show as the file: "CLUSTER:RESOURCE/NAMESPACE/NAME",
// as in "kind-prod:pods/shop/web-1" or "kind-prod:nodes/worker-1".
func (o Object) Source(cluster string) string {
	s := cluster + ":" + o.Resource.String() + "/"
	if o.Namespace != "" {
		s += o.Namespace + "/"
	}
	return s + o.Name
}

// Load reads the cluster into l, each object under its [Object.Source].
// It returns the notes of the read (see [Cluster.Read]).
func (c *Cluster) Load(ctx context.Context, l *policy.Loader) (policy.Diagnostics, error) {
	return c.Read(ctx, func(o Object) error {
		l.AddBytes(o.Source(c.name), o.Manifest)
		return nil
	})
}

// Read discovers the resources to read and lists each of them, calling fn
// with every object in order: Namespaces first, then the other resources
// by group and kind, each in the order the server lists it. It returns
// notes: API groups that are not served (Info), resources that may not be
// listed or disappeared (Warning), and a summary (Info). The error is
// not nil when discovery fails as a whole, a list fails otherwise, ctx
// ends, or fn returns an error.
func (c *Cluster) Read(ctx context.Context, fn func(Object) error) (policy.Diagnostics, error) {
	groups, lists, err := discovery.ServerGroupsAndResourcesWithContext(ctx, c.dc)
	var failed map[schema.GroupVersion]error
	if err != nil {
		var gf *discovery.ErrGroupDiscoveryFailed
		if !errors.As(err, &gf) {
			return nil, fmt.Errorf("cluster %s: discovery: %w", c.name, err)
		}
		failed = gf.Groups
	}
	resources, notes := newDiscovered(groups, lists, failed).plan(c.name)
	r := reader{c: c, fn: fn, notes: notes}
	for _, res := range resources {
		if err := r.read(ctx, res); err != nil {
			return r.notes, err
		}
	}
	r.note(policy.Info, policy.CodeOther, "", "", "read %d objects of %d resources", r.objects, len(resources))
	return r.notes, nil
}

// reader is the state of one Read.
type reader struct {
	c       *Cluster
	fn      func(Object) error
	notes   policy.Diagnostics
	objects int
}

// note records a note of the read: its code and the offending value
// (the resource, or the object's name) say what it is about.
func (r *reader) note(sev policy.Severity, code policy.Code, kind, value, format string, args ...any) {
	r.notes = append(r.notes, policy.Diagnostic{Severity: sev, Code: code, Value: value, Location: policy.Location{File: r.c.name}, Kind: kind, Msg: fmt.Sprintf(format, args...)})
}

// read reads one resource: in each namespace of Options.Namespaces when
// it is namespaced and they are given, else cluster-wide.
func (r *reader) read(ctx context.Context, res Resource) error {
	nss := r.c.opts.Namespaces
	switch {
	case len(nss) > 0 && res.Group == "" && res.Kind == "Namespace":
		for _, ns := range nss {
			if err := r.get(ctx, res, ns); err != nil {
				return err
			}
		}
		return nil
	case len(nss) > 0 && res.Namespaced:
		for _, ns := range nss {
			if err := r.list(ctx, res, ns); err != nil {
				return err
			}
		}
		return nil
	}
	return r.list(ctx, res, "")
}

// list lists a resource page by page.
func (r *reader) list(ctx context.Context, res Resource, ns string) error {
	where := ""
	if ns != "" {
		where = " in namespace " + ns
	}
	token, done := "", 0
	for {
		req := r.c.rc.Get().AbsPath(res.path(ns)).
			Param("limit", strconv.FormatInt(r.c.opts.PageSize, 10)).
			SetHeader("Accept", "application/json")
		if token != "" {
			req = req.Param("continue", token)
		}
		body, err := do(ctx, req)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if next, ok := r.listFailed(res, where, token, err); ok {
				token = next
				continue
			}
			if isNoted(err) {
				return nil
			}
			return fmt.Errorf("cluster %s: list %s%s: %w", r.c.name, res, where, err)
		}
		var page struct {
			Metadata struct {
				Continue           string `json:"continue"`
				RemainingItemCount *int64 `json:"remainingItemCount"`
			} `json:"metadata"`
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return fmt.Errorf("cluster %s: list %s%s: the response is not a list: %w", r.c.name, res, where, err)
		}
		objs, err := manifests(res, page.Items)
		if err != nil {
			return fmt.Errorf("cluster %s: %s%s: %w", r.c.name, res, where, err)
		}
		for _, o := range objs {
			r.objects++
			if err := r.fn(o); err != nil {
				return err
			}
		}
		done += len(page.Items)
		if p := r.c.opts.Progress; p != nil {
			total := 0
			if n := page.Metadata.RemainingItemCount; n != nil {
				total = done + int(*n)
			} else if page.Metadata.Continue == "" {
				total = done
			}
			p(res.String(), done, total)
		}
		token = page.Metadata.Continue
		if token == "" {
			return nil
		}
	}
}

// listFailed turns a failed list request into a note when the failure
// leaves the rest of the cluster readable: the resource may not be listed
// (403) or is gone (404). A continue token that expired (410) is followed
// by the inconsistent one the server offers, with a note. It returns the
// token to go on with and true in that last case.
func (r *reader) listFailed(res Resource, where, token string, err error) (string, bool) {
	switch {
	case apierrors.IsForbidden(err):
		r.note(policy.Warning, policy.CodeForbidden, res.Kind, res.String(), "cannot list %s%s: %v; the answer leaves them out (docs/live.md lists the permissions needed)", res, where, err)
	case apierrors.IsNotFound(err):
		r.note(policy.Warning, policy.CodeNotServed, res.Kind, res.String(), "%s%s is no longer served (its CRD was removed while reading): none read", res, where)
	case token != "" && apierrors.IsResourceExpired(err):
		var st apierrors.APIStatus
		if errors.As(err, &st) && st.Status().Continue != "" {
			r.note(policy.Warning, policy.CodeListExpired, res.Kind, res.String(), "the list of %s%s took longer than the server keeps a snapshot: its later pages were read from a newer state, so objects changed meanwhile may be missing or seen twice", res, where)
			return st.Status().Continue, true
		}
	}
	return "", false
}

// isNoted reports whether listFailed noted err.
func isNoted(err error) bool {
	return apierrors.IsForbidden(err) || apierrors.IsNotFound(err)
}

// get reads one object by name (a Namespace of Options.Namespaces).
func (r *reader) get(ctx context.Context, res Resource, name string) error {
	body, err := do(ctx, r.c.rc.Get().AbsPath(res.path("")+"/"+url.PathEscape(name)).
		SetHeader("Accept", "application/json"))
	switch {
	case err == nil:
		return r.emit(res, body)
	case ctx.Err() != nil:
		return ctx.Err()
	case apierrors.IsForbidden(err):
		r.note(policy.Warning, policy.CodeForbidden, res.Kind, name, "cannot get %s %s: %v; its labels are unknown (docs/live.md lists the permissions needed)", res, name, err)
		return nil
	case apierrors.IsNotFound(err):
		r.note(policy.Warning, policy.CodeNotFound, res.Kind, name, "%s %s does not exist", res, name)
		return nil
	}
	return fmt.Errorf("cluster %s: get %s %s: %w", r.c.name, res, name, err)
}

// do sends a request and returns the body of its response, or the error
// with the Status the server answered (DoRaw would leave its message out).
func do(ctx context.Context, req *rest.Request) ([]byte, error) {
	res := req.Do(ctx)
	if err := res.Error(); err != nil {
		return nil, err
	}
	return res.Raw()
}

// emit turns one object of the API's JSON into its manifest and hands it
// on.
func (r *reader) emit(res Resource, item []byte) error {
	o, err := manifest(res, item)
	if err != nil {
		return fmt.Errorf("cluster %s: %s: %w", r.c.name, res, err)
	}
	r.objects++
	return r.fn(o)
}

// manifests turns the items of a page into manifests, on every core when
// there are many; the order is kept.
func manifests(res Resource, items []json.RawMessage) ([]Object, error) {
	out := make([]Object, len(items))
	errs := make([]error, len(items))
	convert := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out[i], errs[i] = manifest(res, items[i])
		}
	}
	workers := runtime.GOMAXPROCS(0)
	if len(items) < 64 || workers < 2 {
		convert(0, len(items))
	} else {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() { convert(w*len(items)/workers, (w+1)*len(items)/workers) })
		}
		wg.Wait()
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// manifest returns the object as `kubectl get -o yaml` prints it: the API
// leaves apiVersion and kind out of the items of a list, kubectl puts
// them back, and hides metadata.managedFields.
func manifest(res Resource, item []byte) (Object, error) {
	dec := json.NewDecoder(bytes.NewReader(item))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return Object{}, fmt.Errorf("an item is not an object: %v", err)
	}
	if _, ok := m["apiVersion"]; !ok {
		m["apiVersion"] = res.APIVersion()
	}
	if _, ok := m["kind"]; !ok {
		m["kind"] = res.Kind
	}
	o := Object{Resource: res}
	if meta, ok := m["metadata"].(map[string]any); ok {
		delete(meta, "managedFields")
		o.Name, _ = meta["name"].(string)
		o.Namespace, _ = meta["namespace"].(string)
	}
	y, err := yaml2.Marshal(yamlValues(m))
	if err != nil {
		return Object{}, fmt.Errorf("%s/%s: %w", o.Namespace, o.Name, err)
	}
	o.Manifest = y
	return o, nil
}

// yamlValues turns the numbers of decoded JSON into the values the YAML
// encoder writes as numbers (an int when the number is one, else a
// float64), as sigs.k8s.io/yaml's JSONToYAML does, in place.
func yamlValues(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = yamlValues(e)
		}
	case []any:
		for i, e := range v {
			v[i] = yamlValues(e)
		}
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		if f, err := v.Float64(); err == nil {
			return f
		}
		return string(v)
	}
	return v
}
