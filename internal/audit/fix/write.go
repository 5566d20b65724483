package fix

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// IndexFile is the name of the index WriteDir writes beside the patches.
const IndexFile = "index.json"

// indexFix is a fix as the index lists it: its file instead of its YAML.
type indexFix struct {
	File string `json:"file"`
	*Fix
	YAML string `json:"yaml,omitempty"` // hides Fix.YAML
}

type index struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Fixes      []indexFix `json:"fixes"`
	Entries    []Entry    `json:"entries"`
}

// WriteDir writes every fix to dir (created if needed) as ID.yaml, with a
// comment header saying what it does and what it changes, and an index
// (index.json, kind AuditFixes) listing the fixes, their effects and the
// findings without a mechanical fix with the reason.
func (r *Result) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	idx := index{APIVersion: "netreach.io/v1alpha1", Kind: "AuditFixes", Fixes: []indexFix{}, Entries: r.Entries}
	for _, fx := range r.Fixes {
		name := fx.ID + ".yaml"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(fx.header()+fx.YAML), 0o644); err != nil {
			return err
		}
		idx.Fixes = append(idx.Fixes, indexFix{File: name, Fix: fx})
	}
	data, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, IndexFile), append(data, '\n'), 0o644)
}

// header is the YAML comment written above a patch. Untrusted names go
// through comment lines only, with line breaks removed.
func (fx *Fix) header() string {
	var b strings.Builder
	line := func(format string, args ...any) {
		s := fmt.Sprintf(format, args...)
		s = strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
		b.WriteString("# " + s + "\n")
	}
	line("netreach fix %s: %s", fx.ID, fx.Title)
	var ids []string
	for _, f := range fx.Findings {
		ids = append(ids, fmt.Sprintf("%s (#%d)", f.ID, f.Index+1))
	}
	line("addresses findings: %s", strings.Join(ids, ", "))
	switch {
	case fx.Effect == nil:
		line("%s", fx.NotVerified)
	default:
		line("verified: closes flows of %d pairs, opens flows of %d pairs (see %s)", fx.Effect.Closed.Pairs, fx.Effect.Opened.Pairs, IndexFile)
		for _, br := range fx.Effect.Breaks {
			line("BREAKS expectation %s (%d violations)", br.Rule, br.Violations)
		}
	}
	if len(fx.Overlaps) > 0 {
		line("also written by %s: apply one of them, then audit again", strings.Join(fx.Overlaps, ", "))
	}
	if fx.Replaces {
		line("replaces %s; apply with: kubectl apply -f %s.yaml", fx.Object, fx.ID)
	} else {
		line("creates %s; apply with: kubectl apply -f %s.yaml", fx.Object, fx.ID)
	}
	return b.String()
}
