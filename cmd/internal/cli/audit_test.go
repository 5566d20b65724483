package cli_test

import (
	"bytes"
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
