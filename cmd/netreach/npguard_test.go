package main

// TestNPGuardConnlist cross-checks `netreach matrix --by workload -o list`
// against np-guard's netpol-analyzer, an independent implementation of the
// same question ("which workload can open which connections to which"):
// for every test directory of its repository that has a plain expected
// connection list (test_outputs/connlist/DIR_connlist_output.txt), it runs
// netreach on the directory's manifests and compares the two lists
// semantically (connections as sets, external addresses as functions over
// the IPv4 space), then reports the tally and every disagreement.
//
// It is opt-in and reads np-guard's repository where it is, never a copy:
//
//	NETREACH_NPGUARD_REPO=/path/to/netpol-analyzer/.git go test ./cmd/netreach -run NPGuard -v
//
// The repository may be a bare git directory (as `fetch` leaves it) or a
// work tree. Known, documented differences of semantics are listed in
// npguardKnown with the reason; anything else fails the test.

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go4.org/netipx"

	"github.com/netreach/netreach/cmd/internal/cli"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// Documented differences of semantics (README, "Cross-check with
// np-guard"): a differing line is explained when one of its sides is a
// workload of host-network pods (netreach: not policy subjects, matched
// by address only; np-guard: like any pod), of pods that have finished
// (netreach skips Succeeded and Failed pods), or a KubeVirt virtual
// machine (not modelled by netreach, listed as skipped).
const (
	reasonHostNetwork = "host-network pods are not policy subjects"
	reasonFinished    = "finished (Succeeded) pods are skipped"
	reasonVM          = "KubeVirt VirtualMachines are not modelled"
)

// explainer finds the documented reason of a differing line of a test
// directory, or "".
type explainer struct {
	host, finished, vms []string // workload labels and pod names
}

func newExplainer(files []string) *explainer {
	l := policy.NewLoader(policy.LoadOptions{})
	for _, f := range files {
		l.AddPath(f)
	}
	snap, _ := l.Snapshot()
	x := &explainer{}
	if snap == nil {
		return x
	}
	for _, e := range snap.Endpoints {
		if !e.HostNetwork {
			continue
		}
		label := e.ID() + "[" + e.Kind + "]"
		if kind, name, ok := strings.Cut(e.Workload, "/"); ok && kind != "Node" && kind != "" {
			label = e.Namespace + "/" + name + "[" + kind + "]"
		}
		x.host = append(x.host, label)
	}
	for _, sk := range snap.Skipped {
		switch {
		case sk.Kind == "Pod" && strings.Contains(sk.Reason, "phase"):
			x.finished = append(x.finished, sk.Namespace+"/"+sk.Name)
		case sk.Kind == "VirtualMachine":
			x.vms = append(x.vms, sk.Namespace+"/"+sk.Name+"[VirtualMachine]")
		}
	}
	return x
}

// reason returns why a differing line differs, or "".
func (x *explainer) reason(line string) string {
	for _, h := range x.host {
		if strings.Contains(line, h+" ") || strings.Contains(line, h+":") {
			return reasonHostNetwork
		}
	}
	for _, v := range x.vms {
		if strings.Contains(line, v) {
			return reasonVM
		}
	}
	// A finished pod's workload: np-guard names it by its owner, whose
	// name starts the pod's name.
	for _, f := range x.finished {
		for _, side := range regexp.MustCompile(`[\w.-]+/[\w.-]+\[\w+\]`).FindAllString(line, -1) {
			if name, _, _ := strings.Cut(side, "["); strings.HasPrefix(f, name+"-") {
				return reasonFinished
			}
		}
	}
	return ""
}

func TestNPGuardConnlist(t *testing.T) {
	repo := os.Getenv("NETREACH_NPGUARD_REPO")
	if repo == "" {
		t.Skip("set NETREACH_NPGUARD_REPO to np-guard's netpol-analyzer repository to run the cross-check")
	}
	root := t.TempDir()
	// Extract tests/ and test_outputs/connlist/ from the repository.
	archive := exec.Command("git", "--git-dir", gitDir(repo), "archive", "--format=tar", "HEAD", "tests", "test_outputs/connlist")
	untar := exec.Command("tar", "-x", "-C", root)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	untar.Stdin = pipe
	if err := untar.Start(); err != nil {
		t.Fatal(err)
	}
	if err := archive.Run(); err != nil {
		t.Fatalf("git archive: %v", err)
	}
	if err := untar.Wait(); err != nil {
		t.Fatalf("tar: %v", err)
	}
	src, err := exec.Command("git", "--git-dir", gitDir(repo), "show", "HEAD:pkg/netpol/connlist/connlist_test.go").Output()
	if err != nil {
		t.Fatalf("reading np-guard's connlist tests: %v", err)
	}
	variants := npguardVariants(string(src))
	outs, _ := filepath.Glob(filepath.Join(root, "test_outputs", "connlist", "*_connlist_output.txt"))
	sort.Strings(outs)
	var agree, differ, skipped, known []string
	for _, out := range outs {
		name := strings.TrimSuffix(filepath.Base(out), "_connlist_output.txt")
		args := []string{}
		dirName := name
		if v, ok := variants[name]; ok {
			if v.unsupported != "" {
				skipped = append(skipped, name+" ("+v.unsupported+")")
				continue
			}
			dirName, args = v.dir, v.args
		}
		dir := filepath.Join(root, "tests", dirName)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			skipped = append(skipped, name+" (no test directory)")
			continue
		}
		want, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(want, []byte("Permitted connectivity analyzed in")) {
			skipped = append(skipped, name+" (secondary networks: NAD/UDN)")
			continue
		}
		files := inputFiles(dir)
		ours, diag, code := runList(files, args)
		if code != 0 {
			skipped = append(skipped, fmt.Sprintf("%s (netreach exit %d: %s)", name, code, firstLine(diag)))
			continue
		}
		d := compareConnlists(string(want), ours)
		if d == "" {
			agree = append(agree, name)
			continue
		}
		x := newExplainer(files)
		reasons := map[string]bool{}
		var unexplained []string
		for _, line := range strings.Split(strings.TrimRight(d, "\n"), "\n") {
			if r := x.reason(line); r != "" {
				reasons[r] = true
			} else {
				unexplained = append(unexplained, line)
			}
		}
		if len(unexplained) > 0 {
			differ = append(differ, name+":\n"+strings.Join(unexplained, "\n"))
			continue
		}
		var rs []string
		for r := range reasons {
			rs = append(rs, r)
		}
		sort.Strings(rs)
		known = append(known, name+": "+strings.Join(rs, "; "))
	}
	t.Logf("np-guard cross-check: %d agree, %d differ for documented reasons, %d differ, %d skipped", len(agree), len(known), len(differ), len(skipped))
	for _, s := range skipped {
		t.Logf("skipped %s", s)
	}
	for _, k := range known {
		t.Logf("known: %s", k)
	}
	for _, d := range differ {
		t.Errorf("differs: %s", d)
	}
}

// gitDir returns the git directory of a repository (bare or not).
func gitDir(repo string) string {
	if st, err := os.Stat(filepath.Join(repo, ".git")); err == nil && st.IsDir() {
		return filepath.Join(repo, ".git")
	}
	return repo
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

// inputFiles lists a test directory's manifests, not np-guard's own
// outputs kept beside them.
func inputFiles(dir string) []string {
	var files []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(d.Name(), "_output") && !strings.HasPrefix(d.Name(), "connlist_output") &&
			(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml") || strings.HasSuffix(path, ".json")) {
			files = append(files, path)
		}
		return nil
	})
	return files
}

// runList runs netreach's workload list on manifests. np-guard matches
// ipBlocks against external addresses only, so pod IPs are left out.
func runList(files, extra []string) (out, diag string, code int) {
	args := []string{"matrix", "--by", "workload", "-o", "list", "--ipblock-matches-pod-ips=false", "-q", "--mode", "k8s"}
	for _, f := range files {
		args = append(args, "-f", f)
	}
	var o, e bytes.Buffer
	code = cli.Run(append(args, extra...), strings.NewReader(""), &o, &e)
	return o.String(), e.String(), code
}

// npguardVariant is a test of np-guard's with flags: its directory and
// the netreach flags that ask the same question, or why there are none.
type npguardVariant struct {
	dir         string
	args        []string
	unsupported string
}

// npguardVariants reads the table of np-guard's connlist tests and maps
// each test with a focus, a direction or a connection to its expected
// output's name (as np-guard's testutils names it) and netreach flags.
func npguardVariants(src string) map[string]npguardVariant {
	out := map[string]npguardVariant{}
	strs := regexp.MustCompile(`"([^"]*)"`)
	field := func(entry, name string) []string {
		m := regexp.MustCompile(name + `:\s*(\[\]string\{[^}]*\}|"[^"]*"|common\.\w+)`).FindStringSubmatch(entry)
		if m == nil {
			return nil
		}
		switch {
		case strings.HasPrefix(m[1], "common.IngressFocusDirection"):
			return []string{"ingress"}
		case strings.HasPrefix(m[1], "common.EgressFocusDirection"):
			return []string{"egress"}
		}
		var vals []string
		for _, s := range strs.FindAllStringSubmatch(m[1], -1) {
			vals = append(vals, s[1])
		}
		return vals
	}
	for _, entry := range regexp.MustCompile(`(?s)\{\s*\n\s*testDirName:.*?\n\t\},`).FindAllString(src, -1) {
		dir := field(entry, "testDirName")
		if len(dir) != 1 {
			continue
		}
		wls, peers, direction, conn := field(entry, "focusWorkloads"), field(entry, "focusWorkloadPeers"), field(entry, "focusDirection"), field(entry, "focusConn")
		if len(wls) == 0 && len(conn) == 0 {
			continue
		}
		name := dir[0]
		v := npguardVariant{dir: dir[0]}
		if len(wls) > 0 {
			name += "_focus_workload_" + strings.ReplaceAll(strings.Join(wls, "_"), "/", "_")
			if len(direction) > 0 {
				name += "_" + direction[0]
				v.args = append(v.args, "--direction", direction[0])
			}
			if len(peers) > 0 {
				name += "_with_" + strings.ReplaceAll(strings.Join(peers, "_"), "/", "_")
				v.unsupported = "focus on workload peers: no netreach equivalent"
			}
			for _, w := range wls {
				v.args = append(v.args, "--focus", w)
			}
		}
		if len(conn) > 0 {
			name += "_" + conn[0]
			proto, port, _ := strings.Cut(conn[0], "-")
			v.args = append(v.args, "--connection", port+"/"+strings.ToUpper(proto))
		}
		if strings.Contains(entry, "exposureAnalysis: true") {
			v.unsupported = "exposure analysis"
		}
		if strings.Contains(entry, "multipleNetworksEnabled: true") {
			v.unsupported = "secondary networks"
		}
		out[name] = v
	}
	return out
}

// connKey is one line of a connection list: a pair of workloads, or a
// workload and an external range.
type connLine struct {
	src, dst string
	ext      netipx.IPRange // the external side, when one is external
	extSrc   bool
	conns    reachability.Connections
	partial  bool
}

// compareConnlists returns the differences between np-guard's list and
// netreach's, or "".
func compareConnlists(want, got string) string {
	wl, werr := parseLines(want, true)
	gl, gerr := parseLines(got, false)
	if werr != nil || gerr != nil {
		return fmt.Sprintf("parse: np-guard %v, netreach %v", werr, gerr)
	}
	var b strings.Builder
	// Pairs of workloads.
	pairs := func(ls []connLine) map[string]reachability.Connections {
		m := map[string]reachability.Connections{}
		for _, l := range ls {
			if l.ext.IsValid() || l.src == l.dst {
				continue
			}
			m[l.src+" => "+l.dst] = l.conns
		}
		return m
	}
	wp, gp := pairs(wl), pairs(gl)
	var keys []string
	for k := range wp {
		keys = append(keys, k)
	}
	for k := range gp {
		if _, ok := wp[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	none := reachability.NoConnections(reachability.ScopeKubernetes)
	get := func(m map[string]reachability.Connections, k string) reachability.Connections {
		if c, ok := m[k]; ok {
			return c
		}
		return none
	}
	for _, k := range keys {
		if w, g := get(wp, k), get(gp, k); !w.Equal(g) {
			fmt.Fprintf(&b, "  %s: np-guard %s, netreach %s\n", k, w, g)
		}
	}
	for _, l := range gl {
		if l.partial {
			fmt.Fprintf(&b, "  netreach reports partial connections: %s => %s\n", l.src, l.dst)
		}
	}
	// Workloads and external addresses, per workload and direction, as
	// functions over the IPv4 space.
	ext := func(ls []connLine) map[string][]connLine {
		m := map[string][]connLine{}
		for _, l := range ls {
			if !l.ext.IsValid() || !l.ext.From().Is4() {
				continue
			}
			k := "to " + l.src
			if l.extSrc {
				k = "from " + l.dst
			}
			m[k] = append(m[k], l)
		}
		return m
	}
	we, ge := ext(wl), ext(gl)
	var wk []string
	for k := range we {
		wk = append(wk, k)
	}
	for k := range ge {
		if _, ok := we[k]; !ok {
			wk = append(wk, k)
		}
	}
	sort.Strings(wk)
	for _, k := range wk {
		for _, d := range diffRanges(we[k], ge[k]) {
			fmt.Fprintf(&b, "  external %s: %s\n", k, d)
		}
	}
	return b.String()
}

// diffRanges compares two functions from IPv4 ranges to connections.
func diffRanges(a, b []connLine) []string {
	cuts := []netip.Addr{netip.MustParseAddr("0.0.0.0")}
	for _, ls := range [][]connLine{a, b} {
		for _, l := range ls {
			cuts = append(cuts, l.ext.From())
			if n := l.ext.To().Next(); n.IsValid() {
				cuts = append(cuts, n)
			}
		}
	}
	slices.SortFunc(cuts, netip.Addr.Compare)
	cuts = slices.Compact(cuts)
	at := func(ls []connLine, ip netip.Addr) reachability.Connections {
		c := reachability.NoConnections(reachability.ScopeKubernetes)
		for _, l := range ls {
			if l.ext.Contains(ip) {
				c = c.Union(l.conns)
			}
		}
		return c
	}
	var out []string
	for i, c := range cuts {
		end := netip.MustParseAddr("255.255.255.255")
		if i+1 < len(cuts) {
			end = cuts[i+1].Prev()
		}
		if x, y := at(a, c), at(b, c); !x.Equal(y) {
			out = append(out, fmt.Sprintf("%s-%s: np-guard %s, netreach %s", c, end, x, y))
		}
	}
	return out
}

// parseLines reads a connection list: np-guard's (protocols sorted by
// name, ports after the protocol, separated by commas; external ranges
// written first-last, maybe with "[External]"; with a connection focus, a
// "Permitted connections on UDP 52:" header and pairs alone) or
// netreach's.
func parseLines(text string, npguard bool) ([]connLine, error) {
	var out []connLine
	focusConn := ""
	if m := regexp.MustCompile(`(?m)^Permitted connections on (\w+) (\d+):`).FindStringSubmatch(text); m != nil {
		focusConn = m[1] + " " + m[2]
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pair, conns, ok := strings.Cut(line, " : ")
		if !ok {
			if !strings.Contains(line, " => ") {
				continue // a header ("Permitted connections on UDP 52:")
			}
			// With a connection focus np-guard lists the pairs alone.
			pair, conns = line, focusConn
		}
		src, dst, ok := strings.Cut(pair, " => ")
		if !ok {
			return nil, fmt.Errorf("line %q: no =>", line)
		}
		if strings.HasPrefix(src, "{") || strings.HasPrefix(dst, "{") || strings.HasSuffix(dst, "[Service]") {
			continue // the access model's entries ({ingress-controller}, Services): not compared here
		}
		l := connLine{src: src, dst: dst}
		src = strings.Replace(src, "[Workload]", "[Pod]", 1) // np-guard names the pods of a kind-less owner Pods
		dst = strings.Replace(dst, "[Workload]", "[Pod]", 1)
		l.src, l.dst = src, dst
		for k, side := range []string{src, dst} {
			side = strings.TrimSuffix(side, "[External]")
			if r, ok := parseRange(side); ok {
				l.ext = r
				l.extSrc = k == 0
			}
		}
		var err error
		if npguard {
			l.conns, err = parseNPGuardConns(conns)
		} else {
			full, _, partial := strings.Cut(conns, ", partial:")
			if strings.HasPrefix(conns, "partial:") {
				full, partial = "No Connections", true
			}
			l.partial = partial
			l.conns, err = reachability.ParseConnections(full, reachability.ScopeKubernetes)
		}
		if err != nil {
			return nil, fmt.Errorf("line %q: %v", line, err)
		}
		out = append(out, l)
	}
	return out, nil
}

func parseRange(s string) (netipx.IPRange, bool) {
	a, err := reachability.ParseExternalAtom(s)
	return a.Range, err == nil
}

// parseNPGuardConns reads "All Connections", "No Connections" or
// "SCTP 1-65535,TCP 80,443,UDP 53": a token that starts with a protocol
// name starts that protocol's ports.
func parseNPGuardConns(s string) (reachability.Connections, error) {
	s = strings.TrimSpace(s)
	c := reachability.NoConnections(reachability.ScopeKubernetes)
	switch s {
	case "All Connections":
		return reachability.AllConnections(reachability.ScopeKubernetes), nil
	case "No Connections", "":
		return c, nil
	}
	var proto policy.Protocol
	for _, tok := range strings.Split(s, ",") {
		tok = strings.TrimSpace(tok)
		name, ports, hasPorts := strings.Cut(tok, " ")
		if p, err := policy.ParseProtocol(name); err == nil && !strings.ContainsAny(name, "0123456789") {
			proto = p
			if !hasPorts {
				c = c.WithProtocol(p)
				continue
			}
			tok = ports
		}
		if proto == 0 {
			return c, fmt.Errorf("ports %q before any protocol", tok)
		}
		lo, hi, isRange := strings.Cut(tok, "-")
		if !isRange {
			hi = lo
		}
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil {
			return c, fmt.Errorf("bad ports %q", tok)
		}
		c = c.WithPorts(proto, uint16(a), uint16(b))
	}
	return c, nil
}
