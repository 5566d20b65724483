package viewreport_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/netreach/netreach/cmd/internal/cli"
	"github.com/netreach/netreach/internal/chromium"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// repoRoot is the repository root: the tests run the CLI from there, so
// outputs name fixtures by relative paths.
var repoRoot, _ = filepath.Abs("../../..")

const (
	shop      = "testdata/views/shop"
	shopDiff  = "testdata/views/shop-change"
	tenants   = "testdata/scenarios/tenant-isolation"
	egressDB  = "testdata/scenarios/egress-db-except"
	namedPort = "testdata/scenarios/named-ports"
)

// goldenCase is one run of the CLI and the golden file its output must
// equal.
type goldenCase struct {
	name    string
	columns string // $COLUMNS, for tables
	args    []string
	code    int
}

var goldenCases = []goldenCase{
	{name: "shop.workload.list", args: []string{"matrix", "-f", shop, "--by", "workload"}},
	{name: "shop.workload.csv", args: []string{"matrix", "-f", shop, "--by", "workload", "-o", "csv"}},
	{name: "shop.workload.json", args: []string{"matrix", "-f", shop, "--by", "workload", "-o", "json"}},
	{name: "shop.namespace.list", args: []string{"matrix", "-f", shop, "--by", "namespace"}},
	{name: "shop.tenant.list", args: []string{"matrix", "-f", shop, "--by", "tenant"}},
	{name: "shop.pod.list", args: []string{"matrix", "-f", shop, "--by", "pod", "-o", "list"}},
	{name: "shop.focus.list", args: []string{"matrix", "-f", shop, "--by", "workload", "--focus", "shop/web", "--direction", "egress", "--connection", "TCP 443,5432; UDP 53"}},
	{name: "shop.focus-cidr.list", args: []string{"matrix", "-f", shop, "--by", "namespace", "--focus", "10.1.0.0/24", "--direction", "ingress"}},
	{name: "shop.pod.table.80", columns: "80", args: []string{"matrix", "-f", shop}},
	{name: "shop.pod.table.120", columns: "120", args: []string{"matrix", "-f", shop}},
	{name: "shop.workload.wide.80", columns: "80", args: []string{"matrix", "-f", shop, "--by", "workload", "-o", "wide"}},
	{name: "shop.workload.wide.120", columns: "120", args: []string{"matrix", "-f", shop, "--by", "workload", "-o", "wide"}},
	{name: "shop.namespace.table.120", columns: "120", args: []string{"matrix", "-f", shop, "--by", "namespace", "-o", "table"}},
	{name: "shop.pod.table.40", columns: "40", args: []string{"matrix", "-f", shop}},
	{name: "shop.pod.table.20", columns: "20", args: []string{"matrix", "-f", shop}},
	{name: "shop.namespace.dot", args: []string{"matrix", "-f", shop, "--by", "namespace", "-o", "dot"}},
	{name: "shop.workload.dot", args: []string{"matrix", "-f", shop, "--by", "workload", "-o", "dot"}},
	{name: "shop.workload.mermaid", args: []string{"matrix", "-f", shop, "--by", "workload", "-o", "mermaid"}},
	{name: "shop.workload.svg", args: []string{"matrix", "-f", shop, "--by", "workload", "-o", "svg"}},
	{name: "shop.pod.json", args: []string{"matrix", "-f", shop, "-o", "json", "--port", "5432/TCP"}},
	{name: "shop.diff.list", args: []string{"diff", "-f", shop, "--apply", shopDiff, "--by", "workload"}},
	{name: "shop.diff.json", args: []string{"diff", "-f", shop, "--apply", shopDiff, "--by", "workload", "-o", "json"}},
	{name: "shop.diff.md", args: []string{"diff", "-f", shop, "--apply", shopDiff, "--by", "namespace", "-o", "md"}},
	{name: "shop.diff.dot", args: []string{"diff", "-f", shop, "--apply", shopDiff, "--by", "workload", "-o", "dot"}},
	{name: "shop.diff.mermaid", args: []string{"diff", "-f", shop, "--apply", shopDiff, "--by", "workload", "-o", "mermaid"}},
	{name: "shop.diff.svg", args: []string{"diff", "-f", shop, "--apply", shopDiff, "--by", "workload", "-o", "svg"}},
	{name: "shop.explain.txt", args: []string{"explain", "--all", "-f", shop, "--by", "workload", "--focus", "shop/web", "--direction", "egress"}},
	{name: "shop.explain.json", args: []string{"explain", "--all", "-f", shop, "--by", "workload", "--focus", "shop-data/db", "--direction", "ingress", "--port", "5432/TCP", "-o", "json"}},
	{name: "tenants.namespace.list", args: []string{"matrix", "-f", tenants, "--by", "namespace"}},
	{name: "tenants.tenant.table.80", columns: "80", args: []string{"matrix", "-f", tenants, "--by", "tenant", "-o", "table"}},
	{name: "tenants.namespace.dot", args: []string{"matrix", "-f", tenants, "--by", "namespace", "-o", "dot"}},
	{name: "tenants.namespace.svg", args: []string{"matrix", "-f", tenants, "--by", "namespace", "-o", "svg"}},
	{name: "egress-db.workload.list", args: []string{"matrix", "-f", egressDB, "--by", "workload"}},
	{name: "named-ports.pod.list", args: []string{"matrix", "-f", namedPort, "--by", "pod", "-o", "list", "-q"}},
	// Entries a derived layer adds (the internet, Services) are groups of
	// their own.
	{name: "access.namespace.list", args: []string{"matrix", "-f", "testdata/access/service-types", "--by", "namespace", "-q"}},
	{name: "access.workload.dot", args: []string{"matrix", "-f", "testdata/access/gateway-routes", "--by", "workload", "-o", "dot", "-q"}},
	{name: "access.workload.svg", args: []string{"matrix", "-f", "testdata/access/gateway-routes", "--by", "workload", "-o", "svg", "-q"}},
}

// run runs the CLI from the repository root.
func run(t *testing.T, columns string, args []string) (stdout, stderr string, code int) {
	t.Helper()
	t.Chdir(repoRoot)
	t.Setenv("COLUMNS", columns)
	var o, e bytes.Buffer
	code = cli.Run(args, strings.NewReader(""), &o, &e)
	return o.String(), e.String(), code
}

// TestGolden holds every output format to its golden file
// (testdata/NAME.golden; rewrite with -update and read the diff).
func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := run(t, tc.columns, tc.args)
			if code != tc.code {
				t.Fatalf("netreach %s: exit %d, want %d\n%s", strings.Join(tc.args, " "), code, tc.code, errs)
			}
			path := filepath.Join(repoRoot, "cmd", "internal", "viewreport", "testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if out != string(want) {
				t.Errorf("netreach %s differs from %s:\n--- got ---\n%s\n--- want ---\n%s", strings.Join(tc.args, " "), path, out, want)
			}
			if strings.Contains(out, repoRoot) {
				t.Errorf("the output holds the absolute path %s", repoRoot)
			}
		})
	}
}

// TestTableWidth checks that tables never exceed $COLUMNS: at 80 and 120
// columns every line fits, and a table that cannot fit in 20 columns is
// replaced by the list with a note.
func TestTableWidth(t *testing.T) {
	for _, width := range []string{"80", "120"} {
		for _, args := range [][]string{
			{"matrix", "-f", shop},
			{"matrix", "-f", shop, "-o", "wide"},
			{"matrix", "-f", shop, "--by", "workload", "-o", "wide"},
			{"matrix", "-f", shop, "--by", "namespace", "-o", "table"},
			{"matrix", "-f", tenants, "-o", "wide"},
			{"matrix", "-f", tenants, "--by", "tenant", "-o", "table"},
		} {
			out, errs, code := run(t, width, args)
			if code != 0 {
				t.Fatalf("%v: exit %d: %s", args, code, errs)
			}
			if strings.Contains(out, "writing the list instead") {
				t.Errorf("COLUMNS=%s %v: the table fell back to the list", width, args)
			}
			for _, line := range strings.Split(out, "\n") {
				if n := utf8.RuneCountInString(line); n > atoi(width) {
					t.Errorf("COLUMNS=%s %v: a line of %d characters: %q", width, args, n, line)
				}
			}
			if !strings.Contains(out, "key: ") || !strings.Contains(out, "legend:") {
				t.Errorf("COLUMNS=%s %v: no key or legend", width, args)
			}
		}
	}
	out, _, _ := run(t, "20", []string{"matrix", "-f", shop})
	if !strings.HasPrefix(out, "# note: a table of") || !strings.Contains(out, " => ") {
		t.Errorf("COLUMNS=20: want the list after a note, got:\n%s", out)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// TestOutputsParse checks that the machine-readable outputs are well
// formed: JSON documents decode, SVG is XML.
func TestOutputsParse(t *testing.T) {
	for _, tc := range goldenCases {
		out, _, _ := run(t, tc.columns, tc.args)
		switch {
		case strings.HasSuffix(tc.name, ".json"):
			var v any
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
		case strings.HasSuffix(tc.name, ".svg"):
			d := xml.NewDecoder(strings.NewReader(out))
			for {
				_, err := d.Token()
				if err != nil {
					if err.Error() != "EOF" {
						t.Errorf("%s: not XML: %v", tc.name, err)
					}
					break
				}
			}
		}
	}
}

// TestDotGraphviz runs Graphviz's dot on every dot output: it must accept
// it without a warning. It skips when dot is missing, unless
// NETREACH_GRAPHVIZ_TEST=1 (CI, after installing Debian's graphviz).
func TestDotGraphviz(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		if os.Getenv("NETREACH_GRAPHVIZ_TEST") == "1" {
			t.Fatal("NETREACH_GRAPHVIZ_TEST=1 but Graphviz's dot is not on PATH (apt-get install graphviz)")
		}
		t.Skip("Graphviz's dot not found; install it (apt-get install graphviz), and NETREACH_GRAPHVIZ_TEST=1 to require it")
	}
	n := 0
	for _, tc := range goldenCases {
		if !strings.HasSuffix(tc.name, ".dot") {
			continue
		}
		n++
		out, _, _ := run(t, tc.columns, tc.args)
		cmd := exec.Command(dot, "-Tsvg")
		cmd.Stdin = strings.NewReader(out)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Run(); err != nil {
			t.Errorf("%s: dot: %v\n%s", tc.name, err, e.String())
			continue
		}
		if e.Len() > 0 {
			t.Errorf("%s: dot warns:\n%s", tc.name, e.String())
		}
		if !strings.Contains(o.String(), "<svg") || strings.Count(o.String(), `class="edge"`) != strings.Count(out, " -> ") {
			t.Errorf("%s: dot drew %d edges, the file has %d", tc.name, strings.Count(o.String(), `class="edge"`), strings.Count(out, " -> "))
		}
	}
	if n == 0 {
		t.Fatal("no dot output among the golden cases")
	}
}

// TestSVGInChromium opens every SVG output in headless Chromium: it must
// render (non-empty size, every node and edge drawn with a box) with no
// console error and no request to the network.
func TestSVGInChromium(t *testing.T) {
	if testing.Short() && os.Getenv("NETREACH_BROWSER_TEST") != "1" {
		t.Skip("browser test skipped in -short mode")
	}
	chrome := chromium.Path(t)
	dir := t.TempDir()
	b := chromium.Start(t, chrome, dir)
	for _, tc := range goldenCases {
		if !strings.HasSuffix(tc.name, ".svg") {
			continue
		}
		out, _, _ := run(t, tc.columns, tc.args)
		file := filepath.Join(dir, tc.name)
		if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		session := b.Open(t, file, 1400, 900)
		nodes := float64(strings.Count(out, `<g class="node">`))
		edges := float64(strings.Count(out, `<g class="edge">`))
		checks := []struct {
			what, expr string
			want       any
		}{
			{"the document is an SVG", `document.documentElement.tagName`, "svg"},
			{"it has a size", `(() => { const r = document.documentElement.getBoundingClientRect(); return r.width > 100 && r.height > 50; })()`, true},
			{"nodes", `document.querySelectorAll("g.node").length`, nodes},
			{"nodes drawn", `[...document.querySelectorAll("g.node")].filter(g => { const r = g.getBBox(); return r.width > 0 && r.height > 0; }).length`, nodes},
			{"edges", `document.querySelectorAll("g.edge path").length`, edges},
			{"edges drawn", `[...document.querySelectorAll("g.edge path")].filter(p => p.getTotalLength() > 0).length`, edges},
			{"edge labels", `document.querySelectorAll("text.edge-label").length`, edges},
		}
		for _, c := range checks {
			if got := b.Eval(t, session, c.expr); got != c.want {
				t.Errorf("%s: %s = %v, want %v", tc.name, c.what, got, c.want)
			}
		}
		if nodes == 0 {
			t.Errorf("%s: no node", tc.name)
		}
	}
	for _, p := range b.Problems() {
		t.Error(p)
	}
	b.Call(t, "", "Browser.close", nil, nil)
}
