package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netreach/netreach/cmd/internal/cli"
	"github.com/netreach/netreach/internal/audit/fix"
)

// TestAuditFixes runs `netreach audit --fixes DIR --expect FILE -o json`
// on the sources fixture: the JSON report carries the fixes, each fix's
// file holds its YAML under a comment header, the fix that breaks the
// expectation says so, and the finding read from a List document has a
// reason instead of a fix.
func TestAuditFixes(t *testing.T) {
	repo, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(repo)
	dir := t.TempDir()
	args := []string{"audit", "-q", "-f", "testdata/fixes/sources/input", "--fixes", dir, "--expect", "testdata/fixes/sources/expect.yaml", "-o", "json"}
	var stdout, stderr bytes.Buffer
	if code := cli.Run(args, strings.NewReader(""), &stdout, &stderr); code != cli.ExitOK {
		t.Fatalf("audit: exit %d\n%s", code, stderr.String())
	}
	var doc struct {
		Fixes fix.Result `json:"fixes"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	byID := map[string]*fix.Fix{}
	for _, fx := range doc.Fixes.Fixes {
		byID[fx.ID] = fx
		data, err := os.ReadFile(filepath.Join(dir, fx.ID+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(data), "# netreach fix "+fx.ID) || !strings.HasSuffix(string(data), fx.YAML) {
			t.Errorf("%s.yaml = %q, want a header then %q", fx.ID, data, fx.YAML)
		}
	}
	shop := byID["add-default-deny-shop-default-deny-ingress-egress"]
	if shop == nil || shop.Effect == nil || len(shop.Effect.Breaks) != 1 || shop.Effect.Breaks[0].Rule != "front reaches back" {
		t.Errorf("shop's default deny = %+v, want it verified and breaking %q", shop, "front reaches back")
	}
	if bank := byID["add-default-deny-bank-default-deny-ingress-egress"]; bank == nil || bank.Effect == nil || len(bank.Effect.Breaks) != 0 || bank.Effect.Closed.Pairs != 3 {
		t.Errorf("bank's default deny = %+v, want it verified, closing 3 pairs, breaking nothing", bank)
	}
	var reasons []string
	for _, e := range doc.Fixes.Entries {
		if e.NoFix != "" {
			reasons = append(reasons, e.NoFix)
		}
	}
	if len(reasons) != 1 || !strings.Contains(reasons[0], "List document") {
		t.Errorf("reasons = %q, want one about the List document", reasons)
	}
	if _, err := os.Stat(filepath.Join(dir, fix.IndexFile)); err != nil {
		t.Error(err)
	}

	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"audit", "-f", "testdata/fixes/sources/input", "--expect", "testdata/fixes/sources/expect.yaml"}, "--expect: needs --fixes DIR"},
		{[]string{"audit", "-f", "testdata/fixes/sources/input", "--fixes", dir, "--max-fixes", "0"}, "--max-fixes 0: expected 1 or more"},
		{[]string{"audit", "-f", "testdata/fixes/sources/input", "--fixes", dir, "--expect", "testdata/fixes/sources/missing.yaml"}, "missing.yaml"},
	} {
		var stdout, stderr bytes.Buffer
		if code := cli.Run(tc.args, strings.NewReader(""), &stdout, &stderr); code != cli.ExitBadData || !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), cli.ExitBadData, tc.stderr)
		}
	}
}
