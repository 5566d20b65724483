package audit_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// auditOpen audits the open fixture with the given options.
func auditOpen(t *testing.T, opts audit.Options) *audit.Report {
	t.Helper()
	snap, err := policy.Load(policy.LoadOptions{}, filepath.Join("..", "..", "testdata", "audit", "open"))
	require.NoError(t, err)
	m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
	require.NoError(t, err)
	r, err := audit.New(context.Background(), snap, m, opts)
	require.NoError(t, err)
	return r
}

func readWaivers(t *testing.T, name string) []audit.Waiver {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "audit", "waivers", name)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	ws, warnings, err := audit.ParseWaivers(path, data)
	require.NoError(t, err)
	require.Empty(t, warnings)
	return ws
}

func ids(fs []audit.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID+" "+strings.Join(f.Namespaces, ","))
	}
	return out
}

// TestWaivers applies testdata/audit/waivers/waivers.yaml to the open
// fixture: the flows inside tenant a and alpha-jobs' egress to the
// internet are waived until 2099; the waiver of beta's ingress isolation
// expired in 2020, so that finding stays and the expired waiver is a
// finding of its own, located in the waivers file.
func TestWaivers(t *testing.T) {
	t.Parallel()
	ws := readWaivers(t, "waivers.yaml")
	require.Len(t, ws, 3)
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	plain := auditOpen(t, audit.Options{Now: now})
	r := auditOpen(t, audit.Options{Waivers: ws, Now: now})

	require.ElementsMatch(t, []string{"NR004 alpha,alpha-jobs", "NR006 alpha-jobs"}, ids(r.Waived))
	for _, f := range r.Waived {
		require.NotNil(t, f.Waiver)
		require.Contains(t, []string{"alpha-jobs runs alpha's batch jobs", "the worker uploads reports to an external bucket"}, f.Waiver.Reason)
	}
	require.Empty(t, ofKind(r, audit.CrossNamespace))
	// NR006 keeps alpha and beta.
	egress := ofKind(r, audit.EgressInternet)
	require.Len(t, egress, 1)
	require.Equal(t, []string{"alpha", "beta"}, egress[0].Namespaces)
	// The expired waiver does not waive, and is reported at its line.
	require.Len(t, ofKind(r, audit.IngressNotIsolated), 1)
	require.Contains(t, ofKind(r, audit.IngressNotIsolated)[0].Namespaces, "beta")
	exp := ofKind(r, audit.WaiverExpired)
	require.Len(t, exp, 1)
	require.Contains(t, exp[0].Message, "the waiver of NR001 for beta expired on 2020-06-30")
	require.Equal(t, 11, exp[0].PrimaryLocation().Line)
	require.Equal(t, len(plain.Findings)-1+1, len(r.Findings), "one finding waived whole (NR004), one expired waiver added")
	require.Equal(t, 2, r.Summary.Waived)
	// Top risks count only what is not waived.
	for _, k := range r.TopRisks {
		for _, i := range k.Findings {
			require.Nil(t, r.Findings[i].Waiver)
		}
	}
	// On the last day the waiver holds; the day after it does not.
	w := audit.Waiver{Expires: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)}
	require.False(t, w.IsExpired(now.Add(23*time.Hour)))
	require.True(t, w.IsExpired(now.Add(24*time.Hour)))
}

// TestParseWaiversErrors checks that a bad waivers file gets errors that
// name the file, line, column and field, and warnings for unknown
// fields.
func TestParseWaiversErrors(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "..", "testdata", "audit", "waivers", "bad.yaml")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	_, warnings, err := audit.ParseWaivers(path, data)
	require.Error(t, err)
	for _, want := range []string{
		path + `:4:9: waivers[0].kind: unknown finding kind "NR999"`,
		path + `:10:12: waivers[1].expires: expected a date YYYY-MM-DD, got "31/12/2099"`,
		path + `:8:3: waivers[1].reason: missing`,
	} {
		require.Contains(t, err.Error(), want)
	}
	require.Equal(t, []string{path + ":11:3: waivers[1].color: unknown field"}, warnings)
	for _, tc := range []struct{ name, data, want string }{
		{"empty", "", "empty file"},
		{"kind", "apiVersion: netreach.io/v1alpha1\nkind: Waivers\nwaivers: []\n", `x.yaml:2:7: kind: expected AuditWaivers, got "Waivers"`},
		{"list", "apiVersion: netreach.io/v1alpha1\nkind: AuditWaivers\nwaivers: {}\n", "x.yaml:3:10: waivers: expected a list"},
		{"objects", "apiVersion: netreach.io/v1alpha1\nkind: AuditWaivers\nwaivers:\n- {kind: NR001, objects: [], reason: r, expires: 2030-01-01}\n", `x.yaml:4:3: waivers[0].objects: empty`},
		{"syntax", "waivers: [\n", "x.yaml: yaml: line 1"},
	} {
		_, _, err := audit.ParseWaivers("x.yaml", []byte(tc.data))
		require.ErrorContains(t, err, tc.want, tc.name)
	}
}

// TestBaseline compares the open fixture with an earlier report of itself
// with some findings changed: every fingerprint is stable across runs,
// findings the baseline has are unchanged, the others new, and the
// baseline's findings that are gone are fixed.
func TestBaseline(t *testing.T) {
	t.Parallel()
	r := auditOpen(t, audit.Options{})
	again := auditOpen(t, audit.Options{})
	for i := range r.Findings {
		require.NotEmpty(t, r.Findings[i].Fingerprint)
		require.Equal(t, r.Findings[i].Fingerprint, again.Findings[i].Fingerprint)
	}
	seen := map[string]bool{}
	for _, f := range r.Findings {
		require.False(t, seen[f.Fingerprint], "fingerprint %s twice", f.Fingerprint)
		seen[f.Fingerprint] = true
	}
	// The earlier report: without the first finding, with one that is
	// gone since.
	old := *r
	old.Findings = append([]audit.Finding{}, r.Findings[1:]...)
	gone := audit.Finding{ID: "NR009", Kind: audit.PolicySelectsNothing, Fingerprint: "NR009:000000000000", Message: "an old finding"}
	old.Findings = append(old.Findings, gone)
	doc, err := json.Marshal(struct {
		Kind string `json:"kind"`
		*audit.Report
	}{"AuditReport", &old})
	require.NoError(t, err)
	b, err := audit.ReadBaseline("old.json", doc)
	require.NoError(t, err)
	r2 := auditOpen(t, audit.Options{Baseline: b})
	require.Equal(t, audit.StatusNew, r2.Findings[0].Status)
	for _, f := range r2.Findings[1:] {
		require.Equal(t, audit.StatusUnchanged, f.Status, f.Message)
	}
	require.Len(t, r2.Fixed, 1)
	require.Equal(t, audit.StatusFixed, r2.Fixed[0].Status)
	require.Equal(t, "an old finding", r2.Fixed[0].Message)
	require.Equal(t, 1, r2.Summary.New)
	require.Equal(t, 1, r2.Summary.Fixed)

	// A merged finding keeps its fingerprint when a namespace is added:
	// the fingerprint names the kind and group, not the namespaces.
	shared := auditOpen(t, audit.Options{Shared: []string{"alpha-jobs"}})
	fp := func(r *audit.Report, k audit.Kind) string { return ofKind(r, k)[0].Fingerprint }
	require.Equal(t, fp(r, audit.IngressNotIsolated), fp(shared, audit.IngressNotIsolated))

	for _, tc := range []struct{ data, want string }{
		{"{\n  \"kind\": \"AuditReport\",\n  \"findings\": [\n    {\"id\": \"NR001\"}\n  ]\n}", "old.json: findings[0] (NR001): no fingerprint"},
		{"{\n  \"kind\": \"AuditReport\",\n  \"findings\": [,]\n}", "old.json:3:16: invalid character ','"},
		{`{"kind": "ReachabilityMatrix"}`, `old.json: kind "ReachabilityMatrix": expected an AuditReport`},
		{"{\"kind\": \"AuditReport\", \"findings\": [{\"severity\": 3}]}", "old.json:1:51: findings.severity"},
	} {
		_, err := audit.ReadBaseline("old.json", []byte(tc.data))
		require.ErrorContains(t, err, tc.want)
	}
}
