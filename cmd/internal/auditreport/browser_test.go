package auditreport_test

// The browser test renders a report in headless Chromium and checks it
// the way a reader would meet it: the pictures and the findings table are
// there, the filters work, nothing is fetched from the network and no
// script error or console error occurs. It drives Chromium through the
// DevTools protocol over a pipe (--remote-debugging-pipe), with the
// standard library only.
//
// It runs when Chromium is found (NETREACH_CHROMIUM, else chromium or
// chromium-browser on PATH, else /usr/bin/chromium) and skips otherwise;
// with NETREACH_BROWSER_TEST=1 a missing browser fails the test instead,
// which is what CI sets after installing Debian's chromium:
//
//	apt-get install -y chromium
//	NETREACH_BROWSER_TEST=1 go test ./cmd/internal/auditreport -run Browser -v
//
// NETREACH_SCREENSHOT_DIR, when set, keeps the full-page screenshot
// (report.png) there; otherwise it goes to a temporary directory.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netreach/netreach/cmd/internal/cli"
)

func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("NETREACH_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if os.Getenv("NETREACH_BROWSER_TEST") == "1" {
		t.Fatal("NETREACH_BROWSER_TEST=1 but no Chromium found (install Debian's chromium or set NETREACH_CHROMIUM)")
	}
	t.Skip("Chromium not found; install it (apt-get install -y chromium) or set NETREACH_CHROMIUM, and NETREACH_BROWSER_TEST=1 to require it")
	return ""
}

func TestBrowserReport(t *testing.T) {
	if testing.Short() && os.Getenv("NETREACH_BROWSER_TEST") != "1" {
		t.Skip("browser test skipped in -short mode")
	}
	chrome := chromiumPath(t)
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

	b := startBrowser(t, chrome, dir)
	session := b.newPage(t)
	b.call(t, session, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 1440, "height": 900, "deviceScaleFactor": 1, "mobile": false}, nil)
	for _, domain := range []string{"Page", "Runtime", "Log", "Network"} {
		b.call(t, session, domain+".enable", nil, nil)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(page)}
	b.call(t, session, "Page.navigate", map[string]any{"url": u.String()}, nil)
	b.waitEvent(t, "Page.loadEventFired")

	eval := func(expr string) any {
		t.Helper()
		var res struct {
			Result struct {
				Value any `json:"value"`
			} `json:"result"`
			ExceptionDetails any `json:"exceptionDetails"`
		}
		b.call(t, session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &res)
		if res.ExceptionDetails != nil {
			t.Fatalf("evaluating %s: %v", expr, res.ExceptionDetails)
		}
		return res.Result.Value
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
	b.call(t, session, "Page.getLayoutMetrics", nil, &metrics)
	var shot struct {
		Data string `json:"data"`
	}
	b.call(t, session, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true,
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
	for _, ev := range b.events() {
		switch ev.Method {
		case "Runtime.exceptionThrown":
			t.Errorf("uncaught exception: %s", ev.Params)
		case "Runtime.consoleAPICalled":
			var p struct {
				Type string `json:"type"`
			}
			json.Unmarshal(ev.Params, &p)
			if p.Type == "error" || p.Type == "assert" || p.Type == "warning" {
				t.Errorf("console %s: %s", p.Type, ev.Params)
			}
		case "Log.entryAdded":
			var p struct {
				Entry struct {
					Level, Text, URL string
				} `json:"entry"`
			}
			json.Unmarshal(ev.Params, &p)
			if p.Entry.Level == "error" {
				t.Errorf("console error: %s (%s)", p.Entry.Text, p.Entry.URL)
			}
		case "Network.requestWillBeSent":
			var p struct {
				Request struct {
					URL string `json:"url"`
				} `json:"request"`
			}
			json.Unmarshal(ev.Params, &p)
			if !strings.HasPrefix(p.Request.URL, "file:") && !strings.HasPrefix(p.Request.URL, "data:") && p.Request.URL != "about:blank" {
				t.Errorf("the page requested %s: the report must be self-contained", p.Request.URL)
			}
		}
	}
	b.call(t, "", "Browser.close", nil, nil)
}

// repoRoot is the repository root, for running the CLI on its fixtures.
var repoRoot, _ = filepath.Abs("../../..")

// browser is a Chromium process driven over the DevTools pipe: commands go
// to its fd 3 and replies and events come from its fd 4, one JSON message
// per NUL-terminated chunk.
type browser struct {
	w      io.Writer
	msgs   chan cdpMessage
	mu     sync.Mutex
	seen   []cdpMessage
	nextID int
	stderr *bytes.Buffer
}

type cdpMessage struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

func startBrowser(t *testing.T, chrome, dir string) *browser {
	t.Helper()
	toChrome, cmdIn, err := os.Pipe() // chrome reads fd 3
	if err != nil {
		t.Fatal(err)
	}
	cmdOut, fromChrome, err := os.Pipe() // chrome writes fd 4
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	cmd := exec.CommandContext(ctx, chrome,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{toChrome, fromChrome}
	b := &browser{w: cmdIn, msgs: make(chan cdpMessage, 256), stderr: &bytes.Buffer{}}
	cmd.Stderr = b.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", chrome, err)
	}
	toChrome.Close()
	fromChrome.Close()
	t.Cleanup(func() {
		cmdIn.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		cancel()
		cmdOut.Close()
		if t.Failed() {
			t.Logf("chromium stderr:\n%s", b.stderr.String())
		}
	})
	go func() {
		r := bufio.NewReader(cmdOut)
		for {
			chunk, err := r.ReadBytes(0)
			if err != nil {
				close(b.msgs)
				return
			}
			var m cdpMessage
			if json.Unmarshal(chunk[:len(chunk)-1], &m) == nil {
				b.msgs <- m
			}
		}
	}()
	return b
}

// call sends a command (to a page session, or to the browser when
// session is empty) and decodes its result into result.
func (b *browser) call(t *testing.T, session, method string, params, result any) {
	t.Helper()
	b.nextID++
	id := b.nextID
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	data, _ := json.Marshal(msg)
	if _, err := b.w.Write(append(data, 0)); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	timeout := time.After(30 * time.Second)
	for {
		select {
		case m, ok := <-b.msgs:
			if !ok {
				if method == "Browser.close" {
					return
				}
				t.Fatalf("%s: the browser went away", method)
			}
			if m.ID != id {
				if m.Method != "" {
					b.mu.Lock()
					b.seen = append(b.seen, m)
					b.mu.Unlock()
				}
				continue
			}
			if m.Error != nil {
				t.Fatalf("%s: %s", method, m.Error.Message)
			}
			if result != nil {
				if err := json.Unmarshal(m.Result, result); err != nil {
					t.Fatalf("%s: %v", method, err)
				}
			}
			return
		case <-timeout:
			t.Fatalf("%s: no reply in 30s", method)
		}
	}
}

// waitEvent waits for an event of the given method.
func (b *browser) waitEvent(t *testing.T, method string) {
	t.Helper()
	b.mu.Lock()
	for _, m := range b.seen {
		if m.Method == method {
			b.mu.Unlock()
			return
		}
	}
	b.mu.Unlock()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case m, ok := <-b.msgs:
			if !ok {
				t.Fatalf("waiting for %s: the browser went away", method)
			}
			b.mu.Lock()
			b.seen = append(b.seen, m)
			b.mu.Unlock()
			if m.Method == method {
				return
			}
		case <-timeout:
			t.Fatalf("no %s in 30s", method)
		}
	}
}

// newPage opens a tab and attaches to it, returning the session.
func (b *browser) newPage(t *testing.T) string {
	t.Helper()
	var target struct {
		TargetID string `json:"targetId"`
	}
	b.call(t, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target)
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	b.call(t, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached)
	return attached.SessionID
}

// events returns the events received so far.
func (b *browser) events() []cdpMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	// Drain what is already buffered.
	for {
		select {
		case m, ok := <-b.msgs:
			if !ok {
				return b.seen
			}
			b.seen = append(b.seen, m)
			continue
		default:
		}
		return b.seen
	}
}
