package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/netreach/netreach/internal/safetext"
)

// evil is text that would take over a terminal: erase the line, return,
// print a lie, and reverse what follows.
const evil = "\x1b[2K\rALL GOOD\u202e"

// evilYAML is evil as a YAML double-quoted string writes it.
const evilYAML = `\e[2K\rALL GOOD\u202e`

// commandArgs are the arguments each command needs beyond -f and -o to
// produce output. A command added later runs with -f alone; its formats
// are still checked.
var commandArgs = map[string][]string{
	"explain": {"--from", "x/a", "--to", "x/b"},
	"diff":    {"--apply", "CHANGE"},
	"check":   {"--expect", "EXPECT"},
}

// evidence are the commands whose output must show the untrusted text
// (escaped) in at least one format: it reaches them through file paths,
// rule names and Calico selectors.
var evidence = map[string]bool{"explain": true, "check": true, "audit": true}

// TestUntrustedTextEscapedEverywhere runs every command in every output
// format (both read from the CLI's own flags, so formats added later are
// covered) on input whose file names, kinds, namespaces, names, label
// values, policy and rule names and Calico selectors carry escape
// sequences and bidi controls, and checks that neither stdout nor stderr
// holds a raw unsafe character.
func TestUntrustedTextEscapedEverywhere(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	manifests := write("cluster"+evil+".yaml", `apiVersion: v1
kind: Namespace
metadata: {name: x}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {app: a}}
status: {podIPs: [{ip: 10.0.0.1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {app: b}}
status: {podIPs: [{ip: 10.0.0.2}]}
---
apiVersion: v1
kind: Pod
metadata: {name: d, namespace: "ns`+evilYAML+`", labels: {app: "v`+evilYAML+`"}}
---
apiVersion: v1
kind: Pod
metadata: {name: e, namespace: x, labels: {app: "v`+evilYAML+`"}}
---
apiVersion: v1
kind: "Kind`+evilYAML+`"
metadata: {name: "n`+evilYAML+`"}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: "bad`+evilYAML+`", namespace: x}
spec: {podSelector: {}}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: sel}
spec:
  selector: "app == 'b' || app == '`+evilYAML+`'"
  ingress:
  - action: Allow
    source: {selector: "app == '`+evilYAML+`'"}
  - action: Deny
`)
	change := write("change"+evil+".yaml", `apiVersion: v1
kind: Pod
metadata: {name: c, namespace: x, labels: {app: c}}
status: {podIPs: [{ip: 10.0.0.3}]}
`)
	expectations := write("expect"+evil+".yaml", `apiVersion: netreach.io/v1alpha1
kind: Expectations
rules:
- name: "rule`+evilYAML+`"
  from: {selector: "app == 'a' || app == '`+evilYAML+`'"}
  to: {namespace: x, pod: b}
  ports: [80]
  expect: allow
`)
	root, _ := newRoot(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	ran := 0
	for _, c := range root.Commands() {
		name := c.Name()
		if c.Flags().Lookup("filename") == nil {
			continue // reads no manifests (version, help, completion)
		}
		formats := outputFormats(t, c.Flags().Lookup("output"))
		if len(formats) == 0 {
			formats = []string{""}
		}
		shown := false
		for _, format := range formats {
			args := []string{name, "-f", manifests, "--keep-going"}
			if format != "" {
				args = append(args, "-o", format)
			}
			for _, a := range commandArgs[name] {
				a = strings.NewReplacer("CHANGE", change, "EXPECT", expectations).Replace(a)
				args = append(args, a)
			}
			var stdout, stderr bytes.Buffer
			code := Run(args, strings.NewReader(""), &stdout, &stderr)
			ran++
			for _, out := range []struct {
				name string
				text string
			}{{"stdout", stdout.String()}, {"stderr", stderr.String()}} {
				if unsafeOutput(out.text) {
					t.Errorf("netreach %s -o %s (exit %d): %s holds raw control or bidi characters:\n%q", name, format, code, out.name, firstUnsafeLine(out.text))
				}
			}
			if strings.Contains(stdout.String(), `u202e`) {
				shown = true
			}
			if !strings.Contains(stderr.String(), `Kind\x1b[2K\x0dALL GOOD\u202e`) {
				t.Errorf("netreach %s -o %s: the skipped kind is not reported escaped:\n%s", name, format, stderr.String())
			}
			if stdout.Len() == 0 {
				t.Errorf("netreach %s -o %s wrote nothing (exit %d):\n%s", name, format, code, stderr.String())
			}
		}
		if evidence[name] && !shown {
			t.Errorf("netreach %s: no format shows the untrusted text: the test input does not reach it", name)
		}
	}
	if ran < 15 {
		t.Fatalf("ran only %d command and format pairs", ran)
	}
}

// formatListRE finds the list in a usage such as "output format: table,
// wide, csv, json or summary".
var formatListRE = regexp.MustCompile(`^output format: ([a-z0-9, -]+?)(?:$|;|\()`)

// outputFormats reads the formats a command's -o flag lists in its usage
// (nil when the command has no -o, or its -o is not a format).
func outputFormats(t testing.TB, fl *pflag.Flag) []string {
	t.Helper()
	if fl == nil {
		return nil
	}
	m := formatListRE.FindStringSubmatch(fl.Usage)
	if m == nil {
		if strings.HasPrefix(fl.Usage, "output format") {
			t.Fatalf("cannot read the formats of -o from its usage %q", fl.Usage)
		}
		return nil
	}
	var out []string
	for _, f := range regexp.MustCompile(`,\s*|\s+or\s+`).Split(m[1], -1) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func unsafeOutput(s string) bool {
	return safetext.Needs(strings.NewReplacer("\n", "", "\t", "").Replace(s))
}

func firstUnsafeLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if unsafeOutput(l) {
			return l
		}
	}
	return ""
}
