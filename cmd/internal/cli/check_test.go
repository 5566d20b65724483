package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netreach/netreach/cmd/internal/cli"
)

// root is the repository root.
var root, _ = filepath.Abs("../../..")

// run runs the CLI from the repository root and returns the exit code,
// stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	t.Chdir(root)
	var stdout, stderr bytes.Buffer
	code := cli.Run(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestCheckExitCodes runs `netreach check` end to end: 0 when every check
// holds, 1 when one fails, 2 on bad input or usage.
func TestCheckExitCodes(t *testing.T) {
	const (
		tenant  = "testdata/scenarios/tenant-isolation"
		shop    = "testdata/check/shop"
		golden  = "testdata/check/shop.golden.json"
		renamed = "testdata/check/shop-renamed"
	)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: netreach.io/v1alpha1\nkind: Expectations\nrules:\n- name: r\n  from: {namespace: [}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings
		stderr []string
	}{
		{"all hold", []string{"-f", shop, "--expect", "testdata/check/shop.yaml", "--golden", golden},
			cli.ExitOK, []string{"PASS   only web reaches the database", "PASS   golden matrix testdata/check/shop.golden.json (workload level)", "4 checks: 4 passed"}, nil},
		{"pods renamed, workload level", []string{"-f", renamed, "-f", shop + "/policy.yaml", "--golden", golden},
			cli.ExitOK, []string{"PASS   golden matrix"}, nil},
		{"pods renamed, endpoint level", []string{"-f", renamed, "-f", shop + "/policy.yaml", "--golden", golden, "--golden-level", "endpoint"},
			cli.ExitFailed, []string{"4 endpoints added, 3 endpoints removed"}, []string{"netreach: 1 check: 0 passed, 1 failed"}},
		{"golden drift", []string{"-f", shop + "/cluster.yaml", "-f", "testdata/check/shop-drift", "--golden", golden, "-o", "json"},
			cli.ExitFailed, []string{`"kind": "CheckReport"`, `"after": "allow"`}, nil},
		{"failing rules", []string{"-f", tenant, "--expect", "testdata/check/tenant-isolation.yaml", "--max-examples", "1"},
			cli.ExitFailed, []string{"FAIL   monitoring cannot reach test01-web (deliberately failing)",
				"cause: testdata/scenarios/tenant-isolation/policy.yaml:36:5: ingress rule 0 (Allow) of NetworkPolicy test01-web/allow-from-monitoring allows it",
				"         ... 11 more", "8 checks: 5 passed, 3 failed"},
			[]string{"netreach: 8 checks: 5 passed, 3 failed"}},
		{"junit", []string{"-f", tenant, "--expect", "testdata/check/tenant-isolation.yaml", "-o", "junit"},
			cli.ExitFailed, []string{`<testsuites name="netreach check" tests="8" failures="3" errors="0">`}, nil},
		{"sarif", []string{"-f", tenant, "--expect", "testdata/check/tenant-isolation.yaml", "-o", "sarif"},
			cli.ExitFailed, []string{`"version": "2.1.0"`, `"uri": "testdata/scenarios/tenant-isolation/policy.yaml"`}, nil},
		{"a selection that picks nothing", []string{"-f", shop, "--expect", "testdata/check/typo.yaml"},
			cli.ExitBadData, []string{"ERROR  ops cannot reach the database", "testdata/check/typo.yaml:7:9: error: from {namespace: opps} selects no endpoint or address"},
			[]string{"an expectation cannot be evaluated"}},
		{"invalid expectations", []string{"-f", shop, "--expect", bad},
			cli.ExitBadData, nil, []string{bad + ":5: error: invalid YAML: did not find expected node content", "netreach: 1 error in the expectations"}},
		{"missing expectations file", []string{"-f", shop, "--expect", "testdata/check/nosuch.yaml"},
			cli.ExitBadData, nil, []string{"testdata/check/nosuch.yaml: error: cannot read expectations: no such file or directory"}},
		{"invalid golden", []string{"-f", shop, "--golden", "testdata/check/shop.yaml"},
			cli.ExitBadData, nil, []string{"testdata/check/shop.yaml: error: golden matrix: invalid JSON"}},
		{"bad manifests", []string{"-f", "testdata/bad/invalid-cidr", "--expect", "testdata/check/shop.yaml"},
			cli.ExitBadData, nil, []string{"error in the input"}},
		{"nothing to check", []string{"-f", shop},
			cli.ExitBadData, nil, []string{"nothing to check: give --expect FILE and/or --golden FILE"}},
		{"no manifests", []string{"--expect", "testdata/check/shop.yaml"},
			cli.ExitBadData, nil, []string{"no input"}},
		{"bad output format", []string{"-f", shop, "--golden", golden, "-o", "table"},
			cli.ExitBadData, nil, []string{`-o "table": expected text, json, junit or sarif`}},
		{"bad golden level", []string{"-f", shop, "--golden", golden, "--golden-level", "namespace"},
			cli.ExitBadData, nil, []string{"--golden-level: invalid level"}},
		{"bad max examples", []string{"-f", shop, "--golden", golden, "--max-examples", "-1"},
			cli.ExitBadData, nil, []string{"--max-examples -1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, append([]string{"check"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
		})
	}
}

// TestCheckGoldenFromMatrix is the workflow of the README: write the golden
// with `netreach matrix -o json`, then check against it.
func TestCheckGoldenFromMatrix(t *testing.T) {
	code, out, stderr := run(t, "matrix", "-f", "testdata/scenarios/tenant-isolation", "-o", "json")
	if code != cli.ExitOK {
		t.Fatalf("matrix: exit %d: %s", code, stderr)
	}
	golden := filepath.Join(t.TempDir(), "expected.json")
	if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = run(t, "check", "-f", "testdata/scenarios/tenant-isolation", "--golden", golden)
	if code != cli.ExitOK {
		t.Fatalf("check: exit %d\n%s%s", code, out, stderr)
	}
	if !strings.Contains(out, "(endpoint level)") {
		t.Errorf("bare pods should be compared at endpoint level:\n%s", out)
	}
}
