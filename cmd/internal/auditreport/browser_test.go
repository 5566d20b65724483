package auditreport_test

// The browser test renders a report in headless Chromium and checks it
// the way a reader would meet it: the pictures and the findings table are
// there, the filters work, nothing is fetched from the network and no
// script error or console error occurs. It drives Chromium through the
// DevTools protocol over a pipe (--remote-debugging-pipe), with the
// standard library only.
//
// It runs when Chromium is found (see package internal/chromium) and skips
// otherwise; with NETREACH_BROWSER_TEST=1 a missing browser fails the test
// instead, which is what CI sets after installing Debian's chromium:
//
//	apt-get install -y chromium
//	NETREACH_BROWSER_TEST=1 go test ./cmd/internal/auditreport -run Browser -v
//
// NETREACH_SCREENSHOT_DIR, when set, keeps the full-page screenshot
// (report.png) there; otherwise it goes to a temporary directory.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netreach/netreach/cmd/internal/cli"
	"github.com/netreach/netreach/internal/chromium"
)

func TestBrowserReport(t *testing.T) {
	if testing.Short() && os.Getenv("NETREACH_BROWSER_TEST") != "1" {
		t.Skip("browser test skipped in -short mode")
	}
	chrome := chromium.Path(t)
	dir := t.TempDir()

	// Render the report of the multi-tenant scenario.
	t.Chdir(repoRoot)
	var out, errs bytes.Buffer
	code := cli.Run([]string{"audit", "-f", "testdata/scenarios/tenant-isolation", "-o", "html", "--shared", "ingress,monitoring,kube-system"},
		strings.NewReader(""), &out, &errs)
	if code != cli.ExitOK {
		t.Fatalf("netreach audit: exit %d\n%s", code, errs.String())
	}
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var jsonOut bytes.Buffer
	if code := cli.Run([]string{"audit", "-f", "testdata/scenarios/tenant-isolation", "-o", "json", "--shared", "ingress,monitoring,kube-system"},
		strings.NewReader(""), &jsonOut, io.Discard); code != cli.ExitOK {
		t.Fatalf("netreach audit -o json: exit %d", code)
	}
	var rep struct {
		Findings []struct {
			Severity string `json:"severity"`
		} `json:"findings"`
		Namespaces []struct{} `json:"namespaces"`
	}
	if err := json.Unmarshal(jsonOut.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	infos := 0
	for _, f := range rep.Findings {
		if f.Severity == "info" {
			infos++
		}
	}

	b := chromium.Start(t, chrome, dir)
	session := b.Open(t, page, 1440, 900)
	eval := func(expr string) any {
		t.Helper()
		return b.Eval(t, session, expr)
	}
	n := len(rep.Namespaces)
	checks := []struct {
		what string
		expr string
		want any
	}{
		{"the script ran to its end", `document.documentElement.getAttribute("data-ready")`, "1"},
		{"heatmap squares", `document.querySelectorAll("svg#heatmap rect.cell").length`, float64(n * n)},
		{"heatmap row labels", `document.querySelectorAll("svg#heatmap g.rows text").length`, float64(n)},
		{"heatmap tooltips", `document.querySelectorAll("svg#heatmap rect.cell > title").length`, float64(n * n)},
		{"graph namespace nodes", `document.querySelectorAll("svg#nsgraph circle.node").length`, float64(n)},
		{"findings table rows", `document.querySelectorAll("#findings-table tbody tr").length`, float64(len(rep.Findings))},
		{"visible findings", `[...document.querySelectorAll("#findings-table tbody tr")].filter(r => !r.hidden).length`, float64(len(rep.Findings))},
		{"rows left after hiding info", `(() => { document.querySelector('input[data-sev-filter="info"]').click();
			const n = [...document.querySelectorAll("#findings-table tbody tr")].filter(r => !r.hidden).length;
			document.querySelector('input[data-sev-filter="info"]').click(); return n; })()`, float64(len(rep.Findings) - infos)},
		{"shown count after a search", `(() => { const s = document.getElementById("text-filter"); s.value = "coredns";
			s.dispatchEvent(new Event("input")); const n = document.getElementById("shown-count").textContent;
			s.value = ""; s.dispatchEvent(new Event("input")); return n; })()`, nil},
		{"namespace details", `document.querySelectorAll("details.ns").length`, float64(n)},
		{"a namespace opens from its link", `(() => { location.hash = "#ns-test01-web"; window.dispatchEvent(new HashChangeEvent("hashchange"));
			return document.getElementById("ns-test01-web").open; })()`, true},
	}
	for _, c := range checks {
		got := eval(c.expr)
		if c.want == nil {
			if s, _ := got.(string); s == "" || s == "0" || s == fmt.Sprint(len(rep.Findings)) {
				t.Errorf("%s = %v, want a number between 1 and %d", c.what, got, len(rep.Findings)-1)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%s = %v, want %v", c.what, got, c.want)
		}
	}

	// Full-page screenshot.
	var metrics struct {
		CSSContentSize struct {
			Width, Height float64
		} `json:"cssContentSize"`
	}
	b.Call(t, session, "Page.getLayoutMetrics", nil, &metrics)
	var shot struct {
		Data string `json:"data"`
	}
	b.Call(t, session, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": 0, "width": 1440, "height": metrics.CSSContentSize.Height, "scale": 1}}, &shot)
	img, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if cfg.Width != 1440 || cfg.Height < 2000 {
		t.Errorf("screenshot is %dx%d, want 1440 wide and a full page", cfg.Width, cfg.Height)
	}
	shotDir := os.Getenv("NETREACH_SCREENSHOT_DIR")
	if shotDir == "" {
		shotDir = dir
	}
	shotPath := filepath.Join(shotDir, "report.png")
	if err := os.WriteFile(shotPath, img, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%dx%d)", shotPath, cfg.Width, cfg.Height)

	// Nothing failed in the page, and nothing came from the network.
	for _, p := range b.Problems() {
		t.Error(p)
	}
	b.Call(t, "", "Browser.close", nil, nil)
}

// repoRoot is the repository root, for running the CLI on its fixtures.
var repoRoot, _ = filepath.Abs("../../..")
