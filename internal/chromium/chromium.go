// Package chromium drives headless Chromium through the DevTools protocol
// over a pipe (--remote-debugging-pipe), with the standard library only,
// for the tests that check pages and pictures the way a reader meets
// them: they render, no script or console error occurs, nothing is
// fetched from the network.
//
// [Path] finds the browser (NETREACH_CHROMIUM, else chromium or
// chromium-browser on PATH, else /usr/bin/chromium) and skips the test
// when there is none, unless NETREACH_BROWSER_TEST=1, which CI sets after
// installing Debian's chromium: then a missing browser fails the test.
package chromium

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Path returns the Chromium binary, or skips the test (fails it with
// NETREACH_BROWSER_TEST=1) when there is none.
func Path(t testing.TB) string {
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

// Open opens a page at a file in a new tab with the Page, Runtime, Log
// and Network domains enabled, waits for its load event, and returns the
// tab's session.
func (b *Browser) Open(t testing.TB, file string, width, height int) string {
	t.Helper()
	session := b.NewPage(t)
	b.Call(t, session, "Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil)
	for _, domain := range []string{"Page", "Runtime", "Log", "Network"} {
		b.Call(t, session, domain+".enable", nil, nil)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(file)}
	b.Call(t, session, "Page.navigate", map[string]any{"url": u.String()}, nil)
	b.WaitEvent(t, "Page.loadEventFired")
	return session
}

// Eval evaluates a JavaScript expression in a tab and returns its value;
// an exception fails the test.
func (b *Browser) Eval(t testing.TB, session, expr string) any {
	t.Helper()
	var res struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		ExceptionDetails any `json:"exceptionDetails"`
	}
	b.Call(t, session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &res)
	if res.ExceptionDetails != nil {
		t.Fatalf("evaluating %s: %v", expr, res.ExceptionDetails)
	}
	return res.Result.Value
}

// Await evaluates a JavaScript expression whose value is a promise, waits
// for the promise and returns what it resolves to; an exception or a
// rejection fails the test.
func (b *Browser) Await(t testing.TB, session, expr string) any {
	t.Helper()
	var res struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		ExceptionDetails any `json:"exceptionDetails"`
	}
	b.Call(t, session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &res)
	if res.ExceptionDetails != nil {
		t.Fatalf("evaluating %s: %v", expr, res.ExceptionDetails)
	}
	return res.Result.Value
}

// Problems returns what went wrong in the pages so far: uncaught
// exceptions, console errors and warnings, and requests to anything but
// files and data URLs.
func (b *Browser) Problems() []string {
	var out []string
	for _, ev := range b.Events() {
		switch ev.Method {
		case "Runtime.exceptionThrown":
			out = append(out, fmt.Sprintf("uncaught exception: %s", ev.Params))
		case "Runtime.consoleAPICalled":
			var p struct {
				Type string `json:"type"`
			}
			json.Unmarshal(ev.Params, &p)
			if p.Type == "error" || p.Type == "assert" || p.Type == "warning" {
				out = append(out, fmt.Sprintf("console %s: %s", p.Type, ev.Params))
			}
		case "Log.entryAdded":
			var p struct {
				Entry struct {
					Level, Text, URL string
				} `json:"entry"`
			}
			json.Unmarshal(ev.Params, &p)
			if p.Entry.Level == "error" {
				out = append(out, fmt.Sprintf("console error: %s (%s)", p.Entry.Text, p.Entry.URL))
			}
		case "Network.requestWillBeSent":
			var p struct {
				Request struct {
					URL string `json:"url"`
				} `json:"request"`
			}
			json.Unmarshal(ev.Params, &p)
			if !strings.HasPrefix(p.Request.URL, "file:") && !strings.HasPrefix(p.Request.URL, "data:") && p.Request.URL != "about:blank" {
				out = append(out, fmt.Sprintf("the page requested %s: it must be self-contained", p.Request.URL))
			}
		}
	}
	return out
}

// Browser is a Chromium process driven over the DevTools pipe: commands go
// to its fd 3 and replies and events come from its fd 4, one JSON message
// per NUL-terminated chunk.
type Browser struct {
	w      io.Writer
	msgs   chan Message
	mu     sync.Mutex
	seen   []Message
	nextID int
	stderr *bytes.Buffer
}

type Message struct {
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

// Start runs chrome headless with its profile in dir; it is stopped when
// the test ends.
func Start(t testing.TB, chrome, dir string) *Browser {
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
	b := &Browser{w: cmdIn, msgs: make(chan Message, 256), stderr: &bytes.Buffer{}}
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
			var m Message
			if json.Unmarshal(chunk[:len(chunk)-1], &m) == nil {
				b.msgs <- m
			}
		}
	}()
	return b
}

// Call sends a command (to a page session, or to the browser when
// session is empty) and decodes its result into result.
func (b *Browser) Call(t testing.TB, session, method string, params, result any) {
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

// WaitEvent waits for an event of the given method.
func (b *Browser) WaitEvent(t testing.TB, method string) {
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

// NewPage opens a tab and attaches to it, returning the session.
func (b *Browser) NewPage(t testing.TB) string {
	t.Helper()
	var target struct {
		TargetID string `json:"targetId"`
	}
	b.Call(t, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target)
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	b.Call(t, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached)
	return attached.SessionID
}

// Events returns the events received so far.
func (b *Browser) Events() []Message {
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
