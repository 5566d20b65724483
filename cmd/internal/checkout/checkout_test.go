package checkout_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
	"github.com/stretchr/testify/require"
	"github.com/xeipuuv/gojsonschema"

	"github.com/netreach/netreach/cmd/internal/checkout"
	"github.com/netreach/netreach/internal/expect"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// root is the repository root; reports are built from there so that their
// paths are the repository-relative ones a CI job sees.
var root, _ = filepath.Abs("../../..")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run go test -update to accept it); got:\n%s", path, got)
	}
}

// report evaluates expectation files and a golden matrix (any may be
// empty) on manifests, with paths relative to the repository root.
func report(t *testing.T, manifests, expectations []string, goldenFile string) *checkout.Report {
	t.Helper()
	t.Chdir(root)
	snap, err := policy.Load(policy.LoadOptions{}, manifests...)
	require.NoError(t, err)
	m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
	require.NoError(t, err)
	r := &checkout.Report{Version: "0.1.0", Options: m.Describe(), MaxExamples: 3, BaseDir: root}
	for _, f := range expectations {
		x, err := expect.Load(f)
		require.NoError(t, err)
		r.Results = append(r.Results, x.Evaluate(m, expect.Options{MaxExamples: 3})...)
	}
	if goldenFile != "" {
		g, err := expect.LoadGolden(goldenFile)
		require.NoError(t, err)
		r.Drift = g.Compare(m, expect.LevelAuto)
	}
	return r
}

type scenario struct {
	name string
	rep  func(t *testing.T) *checkout.Report
}

var scenarios = []scenario{
	// The seed scenario: five rules hold, three fail (unwanted allow,
	// missing allow, isolation breach).
	{"tenant", func(t *testing.T) *checkout.Report {
		return report(t, []string{"testdata/scenarios/tenant-isolation"}, []string{"testdata/check/tenant-isolation.yaml"}, "")
	}},
	// The shop after a policy change: golden drift, two failing rules and
	// one that cannot be evaluated.
	{"shop-drift", func(t *testing.T) *checkout.Report {
		return report(t, []string{"testdata/check/shop/cluster.yaml", "testdata/check/shop-drift"},
			[]string{"testdata/check/shop.yaml", "testdata/check/typo.yaml"}, "testdata/check/shop.golden.json")
	}},
	// Everything holds.
	{"shop", func(t *testing.T) *checkout.Report {
		return report(t, []string{"testdata/check/shop"}, []string{"testdata/check/shop.yaml"}, "testdata/check/shop.golden.json")
	}},
}

var writers = []struct {
	ext   string
	write func(w *bytes.Buffer, r *checkout.Report) error
}{
	{"txt", func(w *bytes.Buffer, r *checkout.Report) error { return checkout.WriteText(w, r) }},
	{"json", func(w *bytes.Buffer, r *checkout.Report) error { return checkout.WriteJSON(w, r) }},
	{"junit.xml", func(w *bytes.Buffer, r *checkout.Report) error { return checkout.WriteJUnit(w, r) }},
	{"sarif", func(w *bytes.Buffer, r *checkout.Report) error { return checkout.WriteSARIF(w, r) }},
}

// TestGoldenOutputs pins every format byte for byte, and checks that
// writing twice gives the same bytes.
func TestGoldenOutputs(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			r := sc.rep(t)
			for _, w := range writers {
				var a, b bytes.Buffer
				require.NoError(t, w.write(&a, r))
				require.NoError(t, w.write(&b, sc.rep(t)))
				require.Equal(t, a.String(), b.String(), "%s output is not deterministic", w.ext)
				t.Chdir(filepath.Join(root, "cmd/internal/checkout"))
				golden(t, sc.name+"."+w.ext, a.Bytes())
			}
		})
	}
}

func TestSummary(t *testing.T) {
	got := []string{}
	for _, sc := range scenarios {
		got = append(got, sc.rep(t).Summary().String())
	}
	require.Equal(t, []string{"8 checks: 5 passed, 3 failed", "5 checks: 1 passed, 3 failed, 1 error", "4 checks: 4 passed"}, got)
}

// TestSARIFValid validates the SARIF output against the SARIF 2.1.0 JSON
// schema shipped in testdata/schemas, against go-sarif's own validation,
// and checks the fields code-scanning services require.
func TestSARIFValid(t *testing.T) {
	schema := gojsonschema.NewReferenceLoader("file://" + filepath.ToSlash(filepath.Join(root, "testdata/schemas/sarif-schema-2.1.0.json")))
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			r := sc.rep(t)
			var buf bytes.Buffer
			require.NoError(t, checkout.WriteSARIF(&buf, r))

			res, err := gojsonschema.Validate(schema, gojsonschema.NewBytesLoader(buf.Bytes()))
			require.NoError(t, err)
			for _, e := range res.Errors() {
				t.Errorf("schema: %s", e)
			}
			rep, err := sarif.FromBytes(buf.Bytes())
			require.NoError(t, err)
			require.NoError(t, rep.Validate())

			checkSARIFStructure(t, buf.Bytes(), r)
		})
	}
}

// checkSARIFStructure checks the required fields one by one: version,
// $schema, runs[].tool.driver.name, and per result ruleId (declared in
// the driver's rules), message.text and a location with a relative path
// and a line.
func checkSARIFStructure(t *testing.T, data []byte, r *checkout.Report) {
	t.Helper()
	var doc struct {
		Version string `json:"version"`
		Schema  string `json:"$schema"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name    string `json:"name"`
					Version string `json:"version"`
					Rules   []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(data, &doc))
	require.Equal(t, "2.1.0", doc.Version)
	require.NotEmpty(t, doc.Schema)
	require.Len(t, doc.Runs, 1)
	run := doc.Runs[0]
	require.Equal(t, "netreach", run.Tool.Driver.Name)
	require.Equal(t, r.Version, run.Tool.Driver.Version)
	s := r.Summary()
	require.Len(t, run.Results, s.Failed+s.Errors, "one result per check that did not pass")
	for _, res := range run.Results {
		require.NotEmpty(t, res.RuleID)
		require.Less(t, res.RuleIndex, len(run.Tool.Driver.Rules))
		require.Equal(t, res.RuleID, run.Tool.Driver.Rules[res.RuleIndex].ID)
		require.Equal(t, "error", res.Level)
		require.NotEmpty(t, res.Message.Text)
		require.NotEmpty(t, res.Locations)
		loc := res.Locations[0].PhysicalLocation
		require.False(t, filepath.IsAbs(loc.ArtifactLocation.URI), loc.ArtifactLocation.URI)
		require.FileExists(t, filepath.Join(root, loc.ArtifactLocation.URI))
		require.Positive(t, loc.Region.StartLine)
	}
}

// TestSARIFLocations checks where results point: the policy line that
// allowed an unwanted flow, the expectation for a missing allow.
func TestSARIFLocations(t *testing.T) {
	r := scenarios[0].rep(t)
	var buf bytes.Buffer
	require.NoError(t, checkout.WriteSARIF(&buf, r))
	var doc struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	var got []string
	for _, res := range doc.Runs[0].Results {
		pl := res.Locations[0].PhysicalLocation
		got = append(got, res.RuleID+" @ "+pl.ArtifactLocation.URI+":"+strconv.Itoa(pl.Region.StartLine))
	}
	require.Equal(t, []string{
		"expect/monitoring-cannot-reach-test01-web-deliberately-failing @ testdata/scenarios/tenant-isolation/policy.yaml:36",
		"expect/test01-web-reaches-test02-deliberately-failing @ testdata/check/tenant-isolation.yaml:43",
		"expect/tenants-are-isolated-from-monitoring-too-deliberately-failing @ testdata/scenarios/tenant-isolation/policy.yaml:98",
	}, got)
}

// TestJUnitValid validates the JUnit output against Jenkins' junit-10.xsd
// (shipped in testdata/schemas) with xmllint when it is installed, and
// always checks its structure: counts that add up, one test case per rule
// and a failure with a message and a type for each failing one.
func TestJUnitValid(t *testing.T) {
	xmllint, lintErr := exec.LookPath("xmllint")
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			r := sc.rep(t)
			var buf bytes.Buffer
			require.NoError(t, checkout.WriteJUnit(&buf, r))
			checkJUnitStructure(t, buf.Bytes(), r)
			if lintErr != nil {
				t.Skip("xmllint not installed (Debian: libxml2-utils); schema validation skipped")
			}
			f := filepath.Join(t.TempDir(), "junit.xml")
			require.NoError(t, os.WriteFile(f, buf.Bytes(), 0o644))
			out, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join(root, "testdata/schemas/junit-10.xsd"), f).CombinedOutput()
			require.NoError(t, err, "xmllint: %s", out)
		})
	}
}

func checkJUnitStructure(t *testing.T, data []byte, r *checkout.Report) {
	t.Helper()
	type problem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Body    string `xml:",chardata"`
	}
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Errors   int      `xml:"errors,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Errors   int    `xml:"errors,attr"`
			Cases    []struct {
				Name    string   `xml:"name,attr"`
				Failure *problem `xml:"failure"`
				Error   *problem `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(data, &doc))
	s := r.Summary()
	require.Equal(t, [3]int{s.Checks, s.Failed, s.Errors}, [3]int{doc.Tests, doc.Failures, doc.Errors})
	names := map[string]bool{}
	for _, suite := range doc.Suites {
		require.NotEmpty(t, suite.Name)
		require.Len(t, suite.Cases, suite.Tests)
		f, e := 0, 0
		for _, c := range suite.Cases {
			require.NotEmpty(t, c.Name)
			names[c.Name] = true
			for _, p := range []*problem{c.Failure, c.Error} {
				if p != nil {
					require.NotEmpty(t, p.Message)
					require.NotEmpty(t, p.Type)
					require.NotEmpty(t, p.Body)
				}
			}
			if c.Failure != nil {
				f++
			}
			if c.Error != nil {
				e++
			}
		}
		require.Equal(t, [2]int{suite.Failures, suite.Errors}, [2]int{f, e}, suite.Name)
	}
	for _, res := range r.Results {
		require.True(t, names[res.Rule.Name], "no test case for %q", res.Rule.Name)
	}
}
