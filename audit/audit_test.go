package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netreach/netreach/audit"
	iaudit "github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/bridge"
	ipolicy "github.com/netreach/netreach/internal/policy"
	ireach "github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/reachability"
)

// compute loads a fixture of testdata/audit with the internal packages
// and returns its matrix with the public form.
func compute(t *testing.T, name string) (*ireach.Matrix, *reachability.Matrix) {
	t.Helper()
	snap, err := ipolicy.Load(ipolicy.LoadOptions{}, filepath.Join("..", "testdata", "audit", name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ireach.Compute(context.Background(), snap, ireach.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m, bridge.WrapMatrix(m).(*reachability.Matrix)
}

// summary is what a finding says, in the terms both forms share.
type summary struct {
	ID, Kind, Risk, Message, Remedy, Location, Fingerprint, Status string
	Namespaces, Objects, Evidence                                  []string
	Affected                                                       int64
	Rule                                                           string
}

func internalSummaries(fs []iaudit.Finding) []summary {
	out := []summary{}
	for _, f := range fs {
		s := summary{ID: f.ID, Kind: string(f.Kind), Risk: f.Severity.String(), Message: f.Message, Remedy: f.Remedy,
			Location: f.PrimaryLocation().String(), Fingerprint: f.Fingerprint, Status: string(f.Status),
			Namespaces: f.Namespaces, Evidence: f.Evidence, Affected: f.Affected}
		if f.Namespace != "" && len(f.Namespaces) == 0 {
			s.Namespaces = []string{f.Namespace}
		}
		for _, o := range f.Objects {
			s.Objects = append(s.Objects, o.Kind+" "+o.Namespace+"/"+o.Name)
		}
		if f.Rule != nil {
			s.Rule = f.Rule.Direction.String() + "[" + strconv.Itoa(f.Rule.Index) + "]"
		}
		out = append(out, s)
	}
	return out
}

func publicSummaries(fs []audit.Finding) []summary {
	out := []summary{}
	for _, f := range fs {
		s := summary{ID: f.ID, Kind: string(f.Kind), Risk: f.Risk.String(), Message: f.Message, Remedy: f.Remedy,
			Location: f.Location.String(), Fingerprint: f.Fingerprint, Status: string(f.Status),
			Namespaces: f.Namespaces, Evidence: f.Evidence, Affected: f.Affected}
		for _, o := range f.Objects {
			s.Objects = append(s.Objects, o.Kind+" "+o.Namespace+"/"+o.Name)
		}
		if f.Rule != nil {
			s.Rule = f.Rule.Direction.String() + "[" + strconv.Itoa(f.Rule.Index) + "]"
			if f.Rule.Policy != f.Objects[0] {
				s.Rule += " of another object"
			}
		}
		out = append(out, s)
	}
	return out
}

// TestRunMatchesInternal: on every fixture of testdata/audit, the public
// audit reports the findings of the internal one, in the same order.
func TestRunMatchesInternal(t *testing.T) {
	t.Parallel()
	dirs, err := os.ReadDir(filepath.Join("..", "testdata", "audit"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "waivers" {
			continue
		}
		n++
		t.Run(d.Name(), func(t *testing.T) {
			t.Parallel()
			im, m := compute(t, d.Name())
			shared := []string{"kube-system"}
			ir, err := iaudit.New(context.Background(), nil, im, iaudit.Options{Shared: shared, SkipExcerpts: true})
			if err != nil {
				t.Fatal(err)
			}
			r, err := audit.Run(context.Background(), m, audit.Options{Shared: shared})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(internalSummaries(ir.Findings), publicSummaries(r.Findings)); diff != "" {
				t.Errorf("Run differs from the internal audit (-want +got):\n%s", diff)
			}
			if len(r.Waived) != 0 || r.Fixed != nil {
				t.Errorf("Run without waivers or baseline: %d waived, fixed %v", len(r.Waived), r.Fixed)
			}
			for _, risk := range []audit.Risk{audit.Info, audit.Low, audit.Medium, audit.High, audit.Critical} {
				if got, want := r.HasRisk(risk), iaudit.AtLeast(ir.Findings, iaudit.Severity(risk)); got != want {
					t.Errorf("HasRisk(%s) = %v, want %v", risk, got, want)
				}
			}
		})
	}
	if n < 10 {
		t.Errorf("%d fixtures audited; want the 12 of testdata/audit", n)
	}
}

// TestFindingsOfOpen: the open fixture (no policies) has high findings
// about its namespaces, none about a rule.
func TestFindingsOfOpen(t *testing.T) {
	t.Parallel()
	_, m := compute(t, "open")
	r, err := audit.Run(context.Background(), m, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.HasRisk(audit.High) {
		t.Errorf("HasRisk(high) = false for a cluster without policies")
	}
	kinds := map[audit.Kind]audit.Finding{}
	for _, f := range r.Findings {
		kinds[f.Kind] = f
		if !strings.HasPrefix(f.Fingerprint, f.ID+":") || f.Message == "" || f.Remedy == "" {
			t.Errorf("finding %v: fingerprint %q, remedy %q", f, f.Fingerprint, f.Remedy)
		}
	}
	f, ok := kinds["ingress-not-isolated"]
	if !ok || f.ID != "NR001" || len(f.Namespaces) != 3 || f.Rule != nil || f.Affected == 0 {
		t.Errorf("ingress-not-isolated = %+v, %v; want NR001 naming the three namespaces", f, ok)
	}
	if _, ok := kinds["cross-tenant-flow"]; !ok {
		t.Errorf("no cross-tenant-flow finding in %v", r.Findings)
	}
}

// TestRuleFindings: a finding about one rule names it as a policy.RuleRef
// of its policy, located in the file.
func TestRuleFindings(t *testing.T) {
	t.Parallel()
	_, m := compute(t, "mistakes")
	r, err := audit.Run(context.Background(), m, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range r.Findings {
		if f.Rule == nil {
			continue
		}
		n++
		if f.Rule.Policy != f.Objects[0] || !strings.HasSuffix(f.Rule.Location.File, "policy.yaml") || f.Rule.Location.Line == 0 {
			t.Errorf("%v: rule %v; want a rule of %v located in policy.yaml", f, f.Rule, f.Objects[0])
		}
	}
	if n == 0 {
		t.Error("no finding about one rule in the mistakes fixture")
	}
}

// TestWaiversAndBaseline: waivers move findings to Waived (an expired one
// is a finding of its own), and a baseline marks findings new or
// unchanged and lists the fixed ones.
func TestWaiversAndBaseline(t *testing.T) {
	t.Parallel()
	im, m := compute(t, "open")
	data, err := os.ReadFile(filepath.Join("..", "testdata", "audit", "waivers", "waivers.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ws, warnings, err := audit.ParseWaivers("waivers.yaml", data)
	if err != nil || len(warnings) != 0 || len(ws) != 3 {
		t.Fatalf("ParseWaivers = %d waivers, %v, %v", len(ws), warnings, err)
	}
	if ws[0].Source.File != "waivers.yaml" || ws[0].Source.Line == 0 || ws[0].Expires.Year() != 2099 {
		t.Errorf("waiver 0 = %+v", ws[0])
	}
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	iws, _, _ := iaudit.ParseWaivers("waivers.yaml", data)
	ir, err := iaudit.New(context.Background(), nil, im, iaudit.Options{Waivers: iws, Now: now, SkipExcerpts: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := audit.Run(context.Background(), m, audit.Options{Waivers: ws, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(internalSummaries(ir.Findings), publicSummaries(r.Findings)); diff != "" {
		t.Errorf("findings differ from the internal audit's (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(internalSummaries(ir.Waived), publicSummaries(r.Waived)); diff != "" {
		t.Errorf("waived findings differ from the internal audit's (-want +got):\n%s", diff)
	}
	if len(r.Waived) == 0 || r.Waived[0].Waiver == nil || r.Waived[0].Waiver.Reason == "" {
		t.Errorf("Waived = %v; want findings with their waiver", r.Waived)
	}
	expired := false
	for _, f := range r.Findings {
		expired = expired || f.Kind == "waiver-expired"
	}
	if !expired {
		t.Error("the expired waiver is not reported")
	}

	// Against a baseline of the same findings less the first, plus one
	// that is gone.
	gone := audit.Finding{ID: "NR999", Fingerprint: "NR999:000000000000", Message: "gone"}
	base := append([]audit.Finding{gone}, r.Findings[1:]...)
	b, err := audit.Run(context.Background(), m, audit.Options{Waivers: ws, Now: now, Baseline: base})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range b.Findings {
		want := audit.StatusUnchanged
		if i == 0 {
			want = audit.StatusNew
		}
		if f.Status != want {
			t.Errorf("finding %d (%v): status %q, want %q", i, f, f.Status, want)
		}
	}
	if len(b.Fixed) != 1 || b.Fixed[0].Message != "gone" || b.Fixed[0].Status != audit.StatusFixed {
		t.Errorf("Fixed = %+v; want the gone finding, fixed", b.Fixed)
	}
}

// TestFindingJSON: the findings netreach audit -o json writes decode into
// Findings, risk and fingerprint included, and a Finding reads back what
// it writes.
func TestFindingJSON(t *testing.T) {
	t.Parallel()
	im, _ := compute(t, "open")
	ir, err := iaudit.New(context.Background(), nil, im, iaudit.Options{SkipExcerpts: true})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(ir.Findings)
	if err != nil {
		t.Fatal(err)
	}
	var fs []audit.Finding
	if err := json.Unmarshal(data, &fs); err != nil {
		t.Fatal(err)
	}
	if len(fs) != len(ir.Findings) {
		t.Fatalf("%d findings decoded, want %d", len(fs), len(ir.Findings))
	}
	for i, f := range fs {
		in := ir.Findings[i]
		if f.ID != in.ID || f.Risk.String() != in.Severity.String() || f.Fingerprint != in.Fingerprint || string(f.Kind) != string(in.Kind) {
			t.Errorf("finding %d decodes as %+v; want %s %s %s", i, f, in.ID, in.Severity, in.Fingerprint)
		}
	}
	back, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	var again []audit.Finding
	if err := json.Unmarshal(back, &again); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fs, again); diff != "" {
		t.Errorf("Findings do not read back what they write (-want +got):\n%s", diff)
	}
	var r audit.Risk
	if err := r.UnmarshalText([]byte("severe")); err == nil {
		t.Error(`Risk.UnmarshalText("severe") = nil; want an error`)
	}
}

// TestKinds: every kind has an ID, a title, a description and a remedy,
// and the list is the internal one.
func TestKinds(t *testing.T) {
	t.Parallel()
	ks := audit.Kinds()
	if len(ks) != len(iaudit.Kinds()) || len(ks) < 25 {
		t.Fatalf("Kinds() = %d kinds, want the %d of the audit", len(ks), len(iaudit.Kinds()))
	}
	for i, k := range ks {
		in := iaudit.Kinds()[i]
		if k.ID != in.ID || string(k.Kind) != string(in.Kind) || k.Risk.String() != in.Severity.String() || k.Title == "" || k.Description == "" || k.Remedy == "" {
			t.Errorf("kind %d = %+v; want %s %s", i, k, in.ID, in.Kind)
		}
	}
}

// TestBadInput: a nil matrix is an error, and a cancelled context stops
// the audit.
func TestBadInput(t *testing.T) {
	t.Parallel()
	var inv *policy.InvalidInputError
	if _, err := audit.Run(context.Background(), nil, audit.Options{}); !errors.As(err, &inv) {
		t.Errorf("Run(nil) = %v; want an *InvalidInputError", err)
	}
	_, m := compute(t, "open")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := audit.Run(ctx, m, audit.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Run(cancelled) = %v; want context.Canceled", err)
	}
	var noCtx context.Context
	if _, err := audit.Run(noCtx, m, audit.Options{}); !errors.As(err, &inv) {
		t.Errorf("Run(nil context) = %v; want an *InvalidInputError", err)
	}
	var r *audit.Report
	if r.HasRisk(audit.Info) {
		t.Error("nil Report has findings")
	}
}

// TestSameValues: the public enumerations have the values of the
// internal ones they are converted from.
func TestSameValues(t *testing.T) {
	t.Parallel()
	for _, s := range iaudit.Severities() {
		if got := audit.Risk(s).String(); got != s.String() {
			t.Errorf("Risk(%d) = %s, want %s", s, got, s)
		}
	}
	for _, s := range []iaudit.Status{iaudit.StatusNew, iaudit.StatusUnchanged, iaudit.StatusFixed} {
		if audit.Status(s) != audit.StatusNew && audit.Status(s) != audit.StatusUnchanged && audit.Status(s) != audit.StatusFixed {
			t.Errorf("internal status %q has no public constant", s)
		}
	}
}
