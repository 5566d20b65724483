package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netreach/netreach/cmd/internal/cli"
)

// TestAuditExitCodes runs `netreach audit` end to end: --fail-on exits 1
// when a finding at or above the severity exists, 0 otherwise, and bad
// flags exit 2.
func TestAuditExitCodes(t *testing.T) {
	repo, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	const (
		mistakes = "testdata/audit/mistakes" // highest finding: high (NR013)
		open     = "testdata/audit/open"     // highest finding: critical (NR005)
		clean    = "testdata/audit/clean"    // one info finding, none with kube-system shared
		waivers  = "testdata/audit/waivers/waivers.yaml"
	)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"no --fail-on", []string{"-f", open}, cli.ExitOK, "# netreach audit report", ""},
		{"fail on high, high present", []string{"-f", mistakes, "--fail-on", "high"}, cli.ExitFailed, "| high | NR013 |", "netreach: 1 finding at or above severity high"},
		{"fail on critical, only high", []string{"-f", mistakes, "--fail-on", "critical", "-q"}, cli.ExitOK, "NR013", ""},
		{"fail on critical, critical present", []string{"-f", open, "--fail-on", "critical", "-o", "json"}, cli.ExitFailed, `"kind": "AuditReport"`, "netreach: 2 findings at or above severity critical"},
		{"fail on info, clean with kube-system shared", []string{"-f", clean, "--shared", "kube-system", "--fail-on", "info"}, cli.ExitOK, "No findings.", ""},
		{"fail on info, clean", []string{"-f", clean, "--fail-on", "info"}, cli.ExitFailed, "NR004", "at or above severity info"},
		{"fail on low counts higher severities", []string{"-f", mistakes, "--fail-on", "low", "-o", "sarif"}, cli.ExitFailed, `"version": "2.1.0"`, "10 findings at or above severity low"},
		{"html", []string{"-f", clean, "-o", "html"}, cli.ExitOK, "<!DOCTYPE html>", ""},
		{"tenant label", []string{"-f", open, "--tenant-label", "team"}, cli.ExitOK, "tenantLabel=team", ""},
		{"bad severity", []string{"-f", open, "--fail-on", "severe"}, cli.ExitBadData, "", `--fail-on "severe": expected info, low, medium, high or critical`},
		{"bad format", []string{"-f", open, "-o", "pdf"}, cli.ExitBadData, "", `-o "pdf": expected html, md, json or sarif`},
		{"bad prefix", []string{"-f", open, "--wide-prefix", "40"}, cli.ExitBadData, "", "--wide-prefix 40: expected 1 to 32"},
		{"waivers", []string{"-f", open, "--waivers", waivers, "--fail-on", "low", "-o", "json"}, cli.ExitFailed, `"waived": [`, "netreach: 8 findings at or above severity low"},
		{"bad waivers", []string{"-f", open, "--waivers", "testdata/audit/waivers/bad.yaml"}, cli.ExitBadData, "",
			"testdata/audit/waivers/bad.yaml:4:9: waivers[0].kind: unknown finding kind \"NR999\""},
		{"missing waivers", []string{"-f", open, "--waivers", "testdata/audit/waivers/none.yaml"}, cli.ExitBadData, "", "--waivers: open testdata/audit/waivers/none.yaml"},
		{"fail on new without baseline", []string{"-f", open, "--fail-on", "low", "--fail-on-new"}, cli.ExitBadData, "", "--fail-on-new: needs --fail-on and --baseline"},
		{"no input", nil, cli.ExitBadData, "", "no input"},
		{"bad input", []string{"-f", "testdata/audit/missing"}, cli.ExitBadData, "", "error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(repo)
			var stdout, stderr bytes.Buffer
			code := cli.Run(append([]string{"audit"}, tc.args...), strings.NewReader(""), &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("audit %v: exit %d, want %d\nstderr: %s", tc.args, code, tc.code, stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.stdout) {
				t.Errorf("stdout lacks %q:\n%.2000s", tc.stdout, stdout.String())
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr.String())
			}
		})
	}
}

// TestAuditBaseline writes a report, then audits against it as a
// baseline: nothing is new, so --fail-on-new passes where --fail-on
// alone fails; against the report of another cluster every finding is
// new and the old ones are fixed.
func TestAuditBaseline(t *testing.T) {
	repo, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(repo)
	dir := t.TempDir()
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := cli.Run(append([]string{"audit"}, args...), strings.NewReader(""), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	write := func(name, fixture string) string {
		code, out, errs := run("-f", fixture, "-o", "json")
		if code != cli.ExitOK {
			t.Fatalf("audit %s: exit %d: %s", fixture, code, errs)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	open := write("open.json", "testdata/audit/open")
	if code, _, errs := run("-f", "testdata/audit/open", "--baseline", open, "--fail-on", "low"); code != cli.ExitFailed {
		t.Errorf("--fail-on low against itself: exit %d, want 1: %s", code, errs)
	}
	code, out, errs := run("-f", "testdata/audit/open", "--baseline", open, "--fail-on", "low", "--fail-on-new", "-o", "json")
	if code != cli.ExitOK || strings.Contains(out, `"status": "new"`) || !strings.Contains(out, `"status": "unchanged"`) {
		t.Errorf("--fail-on-new against itself: exit %d, want 0 and every finding unchanged: %s", code, errs)
	}
	mistakes := write("mistakes.json", "testdata/audit/mistakes")
	code, out, errs = run("-f", "testdata/audit/open", "--baseline", mistakes, "--fail-on", "critical", "--fail-on-new", "-o", "json")
	if code != cli.ExitFailed || !strings.Contains(errs, "2 new findings at or above severity critical") {
		t.Errorf("--fail-on-new against another cluster: exit %d, want 1 with 2 new critical findings: %s", code, errs)
	}
	if !strings.Contains(out, `"fixed": [`) || !strings.Contains(out, `"status": "fixed"`) {
		t.Errorf("the other cluster's findings are not listed as fixed")
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{\n  \"kind\": \"AuditReport\",\n  \"findings\": [,]\n}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run("-f", "testdata/audit/open", "--baseline", bad); code != cli.ExitBadData || !strings.Contains(errs, bad+":3:16: invalid character") {
		t.Errorf("bad baseline: exit %d, want 2 with a located error: %s", code, errs)
	}
}
