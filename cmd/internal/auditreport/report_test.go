package auditreport_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/netreach/netreach/cmd/internal/auditreport"
	"github.com/netreach/netreach/cmd/internal/cli"
	auditkinds "github.com/netreach/netreach/internal/audit"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// audit runs `netreach audit` from the repository root.
func audit(t *testing.T, args ...string) (int, []byte, string) {
	t.Helper()
	t.Chdir(repoRoot)
	var out, errs bytes.Buffer
	code := cli.Run(append([]string{"audit"}, args...), strings.NewReader(""), &out, &errs)
	return code, out.Bytes(), errs.String()
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(repoRoot, "cmd", "internal", "auditreport", "testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run go test ./cmd/internal/auditreport -update and review the diff):\n%s", name, firstDiff(want, got))
	}
}

// firstDiff shows the first differing line.
func firstDiff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n- " + w + "\n+ " + g
		}
	}
	return ""
}

// TestGolden pins the Markdown, JSON and SARIF outputs byte for byte: no
// timestamps, paths as given, the fixed tool version.
func TestGolden(t *testing.T) {
	tests := []struct {
		fixture, format, golden string
		args                    []string
	}{
		{"testdata/audit/mistakes", "md", "mistakes.md.golden", []string{"--detail", "full"}},
		{"testdata/audit/mistakes", "md", "mistakes.summary.md.golden", nil},
		{"testdata/audit/mistakes", "json", "mistakes.json.golden", nil},
		{"testdata/audit/mistakes", "sarif", "mistakes.sarif.golden", nil},
		{"testdata/audit/calico", "md", "calico.md.golden", []string{"--detail", "full"}},
		{"testdata/audit/calico", "json", "calico.json.golden", nil},
		{"testdata/audit/open", "md", "open.md.golden", []string{"--tenant-label", "client", "--detail", "full"}},
		{"testdata/scenarios/tenant-isolation", "md", "tenant-isolation.md.golden", []string{"--shared", "ingress,monitoring,kube-system", "--detail", "full"}},
		{"testdata/scenarios/tenant-isolation", "md", "tenant-isolation.summary.md.golden", []string{"--shared", "ingress,monitoring,kube-system"}},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			code, out, errs := audit(t, append([]string{"-f", tc.fixture, "-o", tc.format, "-q"}, tc.args...)...)
			if code != cli.ExitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if bytes.Contains(out, []byte(repoRoot)) {
				t.Errorf("the output holds the absolute path %s", repoRoot)
			}
			_, again, _ := audit(t, append([]string{"-f", tc.fixture, "-o", tc.format, "-q"}, tc.args...)...)
			if !bytes.Equal(out, again) {
				t.Errorf("two runs differ")
			}
			golden(t, tc.golden, out)
		})
	}
}

func TestJSONShape(t *testing.T) {
	code, out, errs := audit(t, "-f", "testdata/audit/mistakes", "-o", "json", "-q")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Tool       struct{ Name, Version string }
		Findings   []struct {
			ID, Kind, Severity, Message, Remedy string
			Objects                             []struct {
				Kind   string
				Source struct {
					File string
					Line int
				}
			}
		}
		Kinds []struct{ ID string }
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.APIVersion != "netreach.io/v1alpha1" || doc.Kind != "AuditReport" || doc.Tool.Version != cli.Version {
		t.Errorf("header = %s %s %s", doc.APIVersion, doc.Kind, doc.Tool.Version)
	}
	if len(doc.Kinds) != len(auditkinds.Kinds()) || len(doc.Findings) == 0 {
		t.Fatalf("%d kinds, %d findings", len(doc.Kinds), len(doc.Findings))
	}
	for _, f := range doc.Findings {
		if f.ID == "" || f.Severity == "" || f.Message == "" || f.Remedy == "" || len(f.Objects) == 0 {
			t.Errorf("incomplete finding %+v", f)
		}
	}
}

func TestSARIFValid(t *testing.T) {
	for _, fixture := range []string{"testdata/audit/mistakes", "testdata/audit/open", "testdata/audit/calico"} {
		code, out, errs := audit(t, "-f", fixture, "-o", "sarif", "-q")
		if code != cli.ExitOK {
			t.Fatalf("%s: exit %d: %s", fixture, code, errs)
		}
		rep, err := sarif.FromBytes(out)
		if err != nil {
			t.Fatalf("%s: %v", fixture, err)
		}
		if err := rep.Validate(); err != nil {
			t.Errorf("%s: invalid SARIF: %v", fixture, err)
		}
		var jd struct {
			Findings []any `json:"findings"`
		}
		_, js, _ := audit(t, "-f", fixture, "-o", "json", "-q")
		json.Unmarshal(js, &jd)
		if n := len(rep.Runs[0].Results); n != len(jd.Findings) {
			t.Errorf("%s: %d SARIF results, want one per finding (%d)", fixture, n, len(jd.Findings))
		}
		for _, r := range rep.Runs[0].Results {
			if len(r.Locations) == 0 {
				t.Errorf("%s: result %s has no location", fixture, *r.RuleID)
			}
		}
	}
}

// TestHTMLSelfContained checks what the page must not do without a
// browser: load anything from elsewhere, or leave a value html/template
// refused (ZgotmplZ).
func TestHTMLSelfContained(t *testing.T) {
	code, out, errs := audit(t, "-f", "testdata/scenarios/tenant-isolation", "-o", "html", "--shared", "ingress,monitoring,kube-system")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	page := string(out)
	for _, bad := range []string{"http://", "https://", " src=", "@import", "url(http", "ZgotmplZ", "<link"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
	for _, want := range []string{`<script type="application/json" id="report-data">`, `id="hm-box"`, `id="graph-box"`, `<table id="findings-table"`, `"n":"test01-web"`, "<style>", "<script>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// html/template escapes names from the input.
	_, out, _ = audit(t, "-f", "testdata/audit/open", "-o", "html")
	if strings.Contains(string(out), "<script>alert") {
		t.Error("unescaped input")
	}
}

// TestMarkdownSummaryFits renders the Markdown summary of a generated
// 1,000-pod cluster, whose full Markdown is over 250 KB: the summary
// stays under the limit (it is bounded by construction, so the size does
// not grow with the cluster: 23 KB at 10,000 pods), lists the most
// serious findings first and names the command for everything.
func TestMarkdownSummaryFits(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(repoRoot)
	if code := cli.Run([]string{"generate", "--pods", "1000", "--seed", "1", "-o", dir}, strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}); code != cli.ExitOK {
		t.Fatalf("netreach generate: exit %d", code)
	}
	code, summary, errs := audit(t, "-f", dir, "-o", "md", "-q")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	_, full, _ := audit(t, "-f", dir, "-o", "md", "-q", "--detail", "full")
	_, js, _ := audit(t, "-f", dir, "-o", "json", "-q")
	var rep struct {
		Findings []struct{ ID, Severity string }
	}
	if err := json.Unmarshal(js, &rep); err != nil {
		t.Fatal(err)
	}
	n := utf8.RuneCount(summary)
	t.Logf("summary %d characters, full %d", n, utf8.RuneCount(full))
	if n >= auditreport.MaxSummaryChars {
		t.Errorf("the summary has %d characters, want under %d", n, auditreport.MaxSummaryChars)
	}
	if len(full) <= 2*len(summary) {
		t.Errorf("the full Markdown (%d bytes) is not much larger than the summary (%d): the test's cluster is too small to show the bound", len(full), len(summary))
	}
	if !bytes.Contains(summary, []byte("--detail full")) {
		t.Error("the summary does not say how to get the full report")
	}
	// The rows of "Most serious findings" are the report's first findings.
	_, section, _ := strings.Cut(string(summary), "## Most serious findings")
	section, _, _ = strings.Cut(section, "\n## ")
	var rows []string
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| severity") && !strings.HasPrefix(line, "| ---") {
			rows = append(rows, line)
		}
	}
	if want := min(25, len(rep.Findings)); len(rows) != want {
		t.Fatalf("%d rows of most serious findings, want %d", len(rows), want)
	}
	for i, row := range rows {
		if f := rep.Findings[i]; !strings.HasPrefix(row, "| "+f.Severity+" | "+f.ID+" | ") {
			t.Errorf("row %d = %.60s…, want finding %d (%s %s)", i, row, i, f.Severity, f.ID)
		}
	}
	if !strings.Contains(section, "more findings: see the full report") && len(rep.Findings) > 25 {
		t.Error("the summary does not say how many findings it leaves out")
	}
}
