package policy

// The codes of the notes of a read of a live cluster (package live): what
// the API server did not give, so that the answer leaves it out. Value is
// the resource, the API group(s) or the object's name.
const (
	// CodeNotServed: an API group or resource the server does not serve
	// (its CRD is not installed, or was removed while reading), or serves
	// in no version netreach reads; none of its objects are read.
	CodeNotServed Code = "NotServed"
	// CodeForbidden: the credentials may not list (or get) a resource
	// (403); its objects are left out.
	CodeForbidden Code = "Forbidden"
	// CodeUnavailable: the discovery of an API group failed (an
	// aggregated API that is down); its objects are left out.
	CodeUnavailable Code = "Unavailable"
	// CodeListExpired: a paged list took longer than the server keeps its
	// snapshot (410): the later pages come from a newer state.
	CodeListExpired Code = "ListExpired"
	// CodeNotFound: an object named in the read's options (a namespace)
	// does not exist.
	CodeNotFound Code = "NotFound"
)

func init() {
	codeDescriptions[CodeNotServed] = "API group or resource not served (CRD not installed); none read"
	codeDescriptions[CodeForbidden] = "resource the credentials may not list; left out"
	codeDescriptions[CodeUnavailable] = "discovery of an API group failed; left out"
	codeDescriptions[CodeListExpired] = "paged list outlived the server's snapshot; later pages newer"
	codeDescriptions[CodeNotFound] = "object named in the read's options does not exist"
}

// AddNotes records diagnostics found outside the loader, such as the notes
// of a read of a live cluster, as diagnostics of no single object: the
// snapshot lists them, and [Snapshot.With] and [Snapshot.Without] keep
// them. A note without a code gets the default one of its severity.
func (l *Loader) AddNotes(ds Diagnostics) {
	for _, d := range ds {
		l.add(d)
	}
}
