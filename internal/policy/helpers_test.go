package policy

import (
	"strings"
	"testing"
)

// file is one named input for loadFiles.
type file struct{ name, text string }

// yamlFile returns an input file; its text is dedented (see dedent).
func yamlFile(name, text string) file { return file{name, dedent(text)} }

// loadFiles adds the files in order and returns the snapshot.
func loadFiles(t *testing.T, opts LoadOptions, files ...file) *Snapshot {
	t.Helper()
	l := NewLoader(opts)
	for _, f := range files {
		l.AddBytes(f.name, []byte(f.text))
	}
	s, err := l.Snapshot()
	if (err != nil) != s.Diagnostics.HasErrors() {
		t.Fatalf("Snapshot error = %v, but HasErrors = %v", err, s.Diagnostics.HasErrors())
	}
	return s
}

// loadYAML loads one YAML text named "in.yaml".
func loadYAML(t *testing.T, text string) *Snapshot {
	t.Helper()
	return loadFiles(t, LoadOptions{}, yamlFile("in.yaml", text))
}

// diagLines returns the diagnostics as strings.
func diagLines(ds Diagnostics) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.String())
	}
	return out
}

// diagLinesAtLeast returns the diagnostics of severity sev or worse.
func diagLinesAtLeast(ds Diagnostics, sev Severity) []string {
	var out []string
	for _, d := range ds {
		if d.Severity >= sev {
			out = append(out, d.String())
		}
	}
	return out
}

// dedent removes a leading newline and the indentation of the first line
// from every line, so YAML can be written indented inside Go code; tabs
// in the indentation are removed too.
func dedent(s string) string {
	s = strings.TrimPrefix(s, "\n")
	lines := strings.Split(s, "\n")
	indent := len(lines[0]) - len(strings.TrimLeft(lines[0], "\t"))
	for i, ln := range lines {
		n := 0
		for n < indent && n < len(ln) && ln[n] == '\t' {
			n++
		}
		lines[i] = ln[n:]
	}
	return strings.Join(lines, "\n")
}

// endpointIDs returns "ns/name" of every endpoint, with "(Kind)" appended
// for template endpoints.
func endpointIDs(s *Snapshot) []string {
	var out []string
	for _, e := range s.Endpoints {
		id := e.ID()
		if e.Template {
			id += " (" + e.Kind + ")"
		}
		out = append(out, id)
	}
	return out
}

// findPolicy returns the NetworkPolicy ns/name of s, or nil.
func findPolicy(s *Snapshot, ns, name string) *NetworkPolicy {
	for _, np := range s.NetworkPolicies {
		if np.Namespace == ns && np.Name == name {
			return np
		}
	}
	return nil
}

// findEndpoint returns the endpoint ns/name of s, or nil.
func findEndpoint(s *Snapshot, id string) *Endpoint {
	for _, e := range s.Endpoints {
		if e.ID() == id {
			return e
		}
	}
	return nil
}
