package policy

import (
	"context"
	"io"
	"reflect"

	ipolicy "github.com/netreach/netreach/internal/policy"
)

// LoadOptions configure loading. The zero value gives the defaults, those
// of the CLI; each field is named after the CLI flag it matches.
type LoadOptions struct {
	// Strict reports unknown fields as errors instead of warnings
	// (--strict).
	Strict bool
	// MaxDocumentBytes limits the size of one YAML or JSON document; 0
	// means 16 MiB (--max-document-bytes). A larger document is an error
	// diagnostic.
	MaxDocumentBytes int
	// MaxDocuments limits the number of documents over all inputs; 0
	// means 2,097,152 (--max-documents).
	MaxDocuments int
	// Kyverno says what to do with Kyverno policies (--kyverno); the zero
	// value simulates them.
	Kyverno KyvernoMode
	// Stdin is read for the path "-"; nil means os.Stdin.
	Stdin io.Reader
}

func (o LoadOptions) internal() ipolicy.LoadOptions {
	return ipolicy.LoadOptions{Strict: o.Strict, MaxDocumentBytes: o.MaxDocumentBytes,
		MaxDocuments: o.MaxDocuments, Stdin: o.Stdin, Kyverno: ipolicy.KyvernoMode(o.Kyverno)}
}

// Load reads every path (a file, a directory searched recursively for
// .yaml, .yml and .json files, or "-" for standard input) and returns the
// snapshot. When the input has errors the error is a [Diagnostics]
// holding them, and the snapshot is returned too, with the offending
// rules and objects left out; every diagnostic, warnings included, is in
// [Snapshot.Diagnostics]. When ctx is cancelled, reading and decoding
// stop within a document or a file and Load returns ctx's error and no
// snapshot.
func Load(ctx context.Context, opts LoadOptions, paths ...string) (*Snapshot, error) {
	if ctx == nil {
		return nil, invalid("policy: Load", "nil context")
	}
	s, err := ipolicy.LoadContext(ctx, opts.internal(), paths...)
	return wrap(s), publicError(err)
}

// FromObjects builds a snapshot from typed objects with the default
// LoadOptions; see [Loader.AddObject] for the objects it takes. It never
// modifies them. As with [Load], invalid objects give a [Diagnostics]
// error (located by object reference) and the snapshot is returned even
// then; an argument that is not an object at all (nil, a nil pointer, a
// value of an unknown Go type without apiVersion and kind) fails the call
// with an [*InvalidInputError] and no snapshot. For a context, or other
// options, use a [Loader].
func FromObjects(objs ...any) (*Snapshot, error) {
	s, err := ipolicy.FromObjects(objs...)
	return wrap(s), publicError(err)
}

// Loader gathers input (files, bytes, readers and typed objects) and
// builds a [Snapshot] from it. The input is read when Snapshot is called,
// in the order it was added, so that one context bounds all the reading;
// an object or file that repeats an earlier one's kind, namespace and name
// replaces it (with a warning). The zero Loader is ready to use, with the
// default options. A Loader is not safe for concurrent use.
type Loader struct {
	opts  LoadOptions
	input []func(*ipolicy.Loader) error
}

// NewLoader returns a Loader with the given options.
func NewLoader(opts LoadOptions) *Loader { return &Loader{opts: opts} }

// AddPath adds a file, a directory (searched recursively for .yaml, .yml
// and .json files, in lexical order) or "-" (standard input, or
// LoadOptions.Stdin). Nothing is read before [Loader.Snapshot]; a path
// that cannot be read is an error diagnostic then.
func (l *Loader) AddPath(path string) {
	if l != nil {
		l.input = append(l.input, func(il *ipolicy.Loader) error { il.AddPath(path); return nil })
	}
}

// AddBytes adds YAML or JSON documents held in memory; name locates them
// in diagnostics. data is read by [Loader.Snapshot] and must not change
// before.
func (l *Loader) AddBytes(name string, data []byte) {
	if l != nil {
		l.input = append(l.input, func(il *ipolicy.Loader) error { il.AddBytes(name, data); return nil })
	}
}

// AddReader adds the YAML or JSON documents r yields; name locates them in
// diagnostics. r is read to its end by [Loader.Snapshot], in bounded
// chunks.
func (l *Loader) AddReader(name string, r io.Reader) {
	if l != nil {
		l.input = append(l.input, func(il *ipolicy.Loader) error { il.AddReader(name, r); return nil })
	}
}

// AddObject adds one object: a pointer to (or a value of) a type of
// k8s.io/api, sigs.k8s.io/network-policy-api or the Gateway API
// (sigs.k8s.io/gateway-api), whose TypeMeta may be empty as it is in an
// informer's cache (the kind is then taken from the Go type), or anything
// else that marshals to a Kubernetes object in JSON with its apiVersion
// and kind, such as an *unstructured.Unstructured or a map[string]any:
// the form to give Istio, Calico, Kyverno and OpenShift objects.
//
// The object is never modified. It is read (through its JSON form) by
// [Loader.Snapshot], and must not change before; it then gets the same
// validation and diagnostics as a file would, located by the object's
// reference instead of file and line. AddObject fails at once, with an
// [*InvalidInputError], for nil and a nil pointer; Snapshot fails with one
// for a value that is not a Kubernetes object.
func (l *Loader) AddObject(obj any) error {
	const op = "policy: AddObject"
	if l == nil {
		return invalid(op, "nil Loader")
	}
	if obj == nil {
		return invalid(op, "nil object")
	}
	if rv := reflect.ValueOf(obj); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return invalid(op, "nil "+rv.Type().String())
	}
	l.input = append(l.input, func(il *ipolicy.Loader) error { return il.AddObject(obj) })
	return nil
}

// Snapshot reads the input added so far, in order, and returns the
// snapshot. Errors are as for [Load]: a [Diagnostics] for invalid input
// (with the snapshot), an [*InvalidInputError] for an object that is not
// one (without), ctx's error once ctx is done (within a document or a
// file). Snapshot may be called again: it reads the input again (a
// reader, and standard input, then give what is left of them).
func (l *Loader) Snapshot(ctx context.Context) (*Snapshot, error) {
	const op = "policy: Loader.Snapshot"
	if l == nil {
		return nil, invalid(op, "nil Loader")
	}
	if ctx == nil {
		return nil, invalid(op, "nil context")
	}
	il := ipolicy.NewLoader(l.opts.internal())
	il.SetContext(ctx)
	for _, add := range l.input {
		if ctx.Err() != nil {
			break
		}
		if err := add(il); err != nil {
			return nil, publicError(err)
		}
	}
	s, err := il.SnapshotContext()
	return wrap(s), publicError(err)
}
