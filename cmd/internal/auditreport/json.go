package auditreport

import (
	"encoding/json"
	"io"

	"github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/audit/fix"
)

type toolJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type documentJSON struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Tool       toolJSON `json:"tool"`
	Inputs     []string `json:"inputs"`
	*audit.Report
	// Kinds describes every finding kind, so that a reader of the file
	// needs nothing else.
	Kinds []audit.KindInfo `json:"kinds"`
	// Fixes are the verified fixes (audit --fixes): the patches, their
	// effect on the flows, and per finding its fix or why it has none.
	Fixes *fix.Result `json:"fixes,omitempty"`
}

// WriteJSON writes the report as an indented JSON document (apiVersion
// netreach.io/v1alpha1, kind AuditReport): the tool, the inputs, every
// field of the report, and the catalogue of finding kinds.
func WriteJSON(w io.Writer, d *Document) error {
	inputs := d.Inputs
	if inputs == nil {
		inputs = []string{}
	}
	doc := documentJSON{APIVersion: JSONAPIVersion, Kind: JSONKind, Tool: toolJSON{"netreach", d.Version},
		Inputs: inputs, Report: d.Report, Kinds: audit.Kinds(), Fixes: d.Fixes}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}
