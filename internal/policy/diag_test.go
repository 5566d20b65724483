package policy

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDiagnosticString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{Severity: Warning, Location: Location{File: "np.yaml", Doc: 2, Line: 13, Col: 7}, Kind: "NetworkPolicy", Namespace: "prod", Name: "deny-all", Field: "spec.ingress[0].from[0].ports", Msg: "unknown field"},
			"np.yaml:13:7: warning: document 2: NetworkPolicy prod/deny-all: spec.ingress[0].from[0].ports: unknown field"},
		{Diagnostic{Severity: Error, Location: Location{File: "a.yaml", Doc: 1, Line: 3}, Msg: "invalid YAML: x"}, "a.yaml:3: error: document 1: invalid YAML: x"},
		{Diagnostic{Severity: Info, Location: Location{File: "dir"}, Kind: "Node", Name: "n1", Msg: "m"}, "dir: info: Node n1: m"},
		{Diagnostic{Severity: Error, Kind: "Pod", Namespace: "prod", Msg: "missing name"}, "error: Pod: missing name"},
		{Diagnostic{Severity: Severity(7), Msg: "m"}, "Severity(7): m"},
	}
	for _, tc := range tests {
		if got := tc.d.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestDiagnosticsSortAndErr(t *testing.T) {
	t.Parallel()
	at := func(file string, doc, line, col int, msg string, sev Severity) Diagnostic {
		return Diagnostic{Severity: sev, Location: Location{File: file, Doc: doc, Line: line, Col: col}, Msg: msg}
	}
	ds := Diagnostics{
		at("b.yaml", 1, 1, 1, "b", Warning),
		at("a.yaml", 2, 9, 1, "c", Error),
		at("a.yaml", 1, 5, 3, "y", Info),
		at("a.yaml", 1, 5, 3, "x", Info),
		at("a.yaml", 1, 5, 1, "z", Info),
		at("", 0, 0, 0, "no file", Warning),
	}
	ds.Sort()
	var got []string
	for _, d := range ds {
		got = append(got, d.Msg)
	}
	require.Equal(t, []string{"no file", "z", "x", "y", "c", "b"}, got)
	require.True(t, ds.HasErrors())
	require.Len(t, ds.Errors(), 1)
	require.Len(t, ds.Warnings(), 2)
	err := ds.Err()
	require.EqualError(t, err, "a.yaml:9:1: error: document 2: c")
	var as Diagnostics
	require.True(t, errors.As(err, &as))
	require.NoError(t, ds.Warnings().Err())
	require.Equal(t, "no errors", ds.Warnings().Error())
}
