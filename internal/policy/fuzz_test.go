package policy

import (
	"bytes"
	"io/fs"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// loadSeeds are literal seeds for FuzzLoad; every file under testdata/ is
// added too.
var loadSeeds = []string{
	"",
	"---\n",
	"...\n",
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n",
	"apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: b, labels: {x: y}}\nspec: {containers: [{name: c, ports: [{name: http, containerPort: 80}]}]}\nstatus: {podIPs: [{ip: '::ffff:10.0.0.1'}]}\n",
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: prod}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}\n    ports: [{port: 80, endPort: 90}, {port: http}]\n  egress: [{}]\n",
	"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n- 5\n",
	"apiVersion: v1\nkind: PodList\nitems: [{metadata: {name: a}}]\n",
	"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {template: {metadata: {labels: {app: web}}}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web-x-1, labels: {pod-template-hash: x}, ownerReferences: [{kind: ReplicaSet, name: web-x}]}\n",
	"a: &a [1, 2]\nb: [*a, *a]\nc: {<<: {x: 1}, y: 2}\n",
	"{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"a\\/b\"}}\n{\"kind\": 1}",
	"\xef\xbb\xbfa: 1\r\n--- {b: 2}\r\n",
	"a:\n\tb: 1\n",
	"[[[[[[[[[[",
	"%YAML 1.1\n---\n!!str x\n",
	"a: 1\na: 2\n",
	"- a\nb: 1\n",
}

// fuzzSeedFiles returns the files under root, leaving out the fuzz corpus
// (which is not raw input) and files over 64 KiB (they slow the fuzzer
// down without adding structure).
func fuzzSeedFiles(f *testing.F, root string) [][]byte {
	files := readTree(f, root, func(_ string, size int64) bool { return size <= 64<<10 })
	var out [][]byte
	for _, p := range slices.Sorted(maps.Keys(files)) {
		out = append(out, files[p])
	}
	return out
}

// readTree reads the files under root that keep accepts (by path and
// size), leaving out fuzz corpora (which are not raw input), in
// a map by path. A missing root gives nothing.
func readTree(tb testing.TB, root string, keep func(path string, size int64) bool) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	if _, err := os.Stat(root); os.IsNotExist(err) {
		return out
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "fuzz" {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil || !keep(p, info.Size()) {
			return err
		}
		data, err := os.ReadFile(p)
		out[p] = data
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// FuzzLoad feeds arbitrary bytes to the loader, as YAML and as JSON. The
// loader must never panic, every diagnostic must be located in the input,
// and a snapshot without errors must have named endpoints in declared or
// synthesized namespaces.
func FuzzLoad(f *testing.F) {
	for _, s := range loadSeeds {
		f.Add([]byte(s), false)
	}
	for _, root := range []string{"../../testdata", "testdata"} {
		for _, data := range fuzzSeedFiles(f, root) {
			f.Add(data, bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, asJSON bool) {
		name := "in.yaml"
		if asJSON {
			name = "in.json"
		}
		l := NewLoader(LoadOptions{MaxDocuments: 1000})
		l.AddBytes(name, data)
		s, err := l.Snapshot()
		if (err != nil) != s.Diagnostics.HasErrors() {
			t.Fatalf("Snapshot error = %v, HasErrors = %v", err, s.Diagnostics.HasErrors())
		}
		lines := countLines(data)
		for _, d := range s.Diagnostics {
			if d.File != name || d.Doc < 1 || d.Line < 1 || d.Line > lines || d.Col < 0 {
				t.Errorf("diagnostic not located in the input (%d lines): %+v", lines, d)
			}
			if d.Msg == "" || len(d.Msg) > 2*maxMessageBytes {
				t.Errorf("bad message: %q", d.Msg)
			}
		}
		for _, e := range s.Endpoints {
			if e.Namespace == "" || e.Name == "" {
				t.Errorf("endpoint without namespace or name: %+v", e.ObjectRef)
			}
			if s.Namespace(e.Namespace) == nil {
				t.Errorf("endpoint %s in a namespace the snapshot does not have", e.ID())
			}
			if e.Labels == nil {
				t.Errorf("endpoint %s has nil labels", e.ID())
			}
		}
		for _, np := range s.NetworkPolicies {
			if np.Namespace == "" || np.Name == "" {
				t.Errorf("policy without namespace or name: %+v", np.ObjectRef)
			}
		}
		if t.Failed() {
			t.Logf("input: %q", data)
		}
	})
}

// countLines counts lines the way YAML does: LF, CRLF, a lone CR, NEL, LS
// and PS each end one. (For UTF-16 input it overcounts, which is harmless
// for a bound.)
func countLines(data []byte) int {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	n := 1
	for _, sep := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
		n += strings.Count(s, sep)
	}
	return n
}

// cidrSeeds are literal seeds for FuzzCIDR.
var cidrSeeds = []string{
	"10.0.0.0/8", "10.0.0.1/8", "010.001.0.0/16", "0.0.0.0/0", "255.255.255.255/32",
	"fd00::/8", "::/0", "::ffff:10.0.0.0/104", "::ffff:0:0/96", "::ffff:10.0.0.1/128",
	"fe80::1%eth0/64", "10.0.0.0/33", "10.0.0/8", "1.2.3.4", "::1", "::ffff:1.2.3.4",
	"", "/", "1.2.3.4/", "1.2.3.4/08", "00000000001.2.3.4/32", "1.2.3.4/-1", " 1.2.3.4/32",
}

// FuzzCIDR checks ParseCIDR and ParseIPOrCIDR: they never panic, their
// result is masked, and parsing its String() gives it back unchanged.
func FuzzCIDR(f *testing.F) {
	for _, s := range cidrSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		check := func(name string, parse func(string) (netip.Prefix, bool, error)) {
			p, masked, err := parse(s)
			if err != nil {
				if p.IsValid() || masked {
					t.Errorf("%s(%q) = %v, %v, %v: want the zero prefix with an error", name, s, p, masked, err)
				}
				if !strings.HasPrefix(err.Error(), "invalid ") {
					t.Errorf("%s(%q) error %q does not say what is invalid", name, s, err)
				}
				return
			}
			if !p.IsValid() || p != p.Masked() || p.Addr().Zone() != "" || p.Addr().Is4In6() {
				t.Errorf("%s(%q) = %v: want a valid, masked, unzoned prefix without IPv4-mapped addresses", name, s, p)
			}
			q, masked2, err := parse(p.String())
			if err != nil || q != p || masked2 {
				t.Errorf("%s(%q) = %v, but %s(%q) = %v, %v, %v", name, s, p, name, p.String(), q, masked2, err)
			}
		}
		check("ParseCIDR", ParseCIDR)
		check("ParseIPOrCIDR", ParseIPOrCIDR)
	})
}
