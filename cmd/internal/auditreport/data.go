package auditreport

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/audit/fix"
	"github.com/netreach/netreach/internal/safetext"
)

func filepathSlash(p string) string { return filepath.ToSlash(p) }

// The HTML page carries the report as one JSON blob that its script
// renders on demand (a page of findings at a time, a namespace's details
// when it is opened, the matrices and the graph for the chosen focus), so
// that a 10,000-pod report stays a few megabytes and a few thousand DOM
// nodes. The blob is compact: short keys, names by index, pods grouped by
// workload, flows as sparse rows.

// maxObjectsShown is the most objects of one finding the page lists; the
// JSON report has them all, and the page says how many more there are.
const maxObjectsShown = 20

// pageBlob is the data of the HTML page's script.
type pageBlob struct {
	// Sev are the severities, most serious first (index = 4 - Severity).
	Sev []string `json:"sev"`
	// Kinds are the finding kinds present, in catalogue order.
	Kinds []blobKind `json:"kinds"`
	// Tenants are the tenant label values, sorted.
	Tenants  []string      `json:"tenants"`
	NS       []blobNS      `json:"ns"`
	Findings []blobFinding `json:"findings"`
	// Flows[i] is namespace i's row of allowed pod pairs as
	// [j, count, j, count, ...] for the nonzero counts.
	Flows [][]int `json:"flows"`
	// WL are the workloads of the workload drill-down, and WLFlows its
	// flows as [source, destination, pod pairs] by workload index.
	WL      []blobWorkload `json:"wl"`
	WLFlows [][3]int       `json:"wlFlows"`
	// WLComplete says whether WLFlows holds every workload pair; when
	// not, WLPairs lists the namespace pairs [i, j] whose workload flows
	// it does hold.
	WLComplete bool     `json:"wlComplete"`
	WLPairs    [][2]int `json:"wlPairs,omitempty"`
	// WLNote explains a missing workload drill-down.
	WLNote string `json:"wlNote,omitempty"`
	// Risks are the ranked top risks, when the report has them.
	Risks []blobRisk `json:"risks,omitempty"`
	// External are the external nodes: name, internet, and the
	// namespaces that reach them and that they reach, as [ns, pods].
	External []blobExternal `json:"ext"`
	// Objects are the texts of the objects findings name, each once
	// ("Kind namespace/name (file:line)").
	Objects []string `json:"objects"`
	// Texts are the preformatted texts of the findings' sections, each
	// once.
	Texts []string `json:"texts"`
	// Fixes are the verified fixes, when the audit generated them
	// (--fixes); nil otherwise.
	Fixes []blobFix `json:"fixes,omitempty"`
	// FixesDir is where their files were written.
	FixesDir string `json:"fixesDir,omitempty"`
	// Inputs is the command line to reproduce drill-downs with.
	Inputs string `json:"inputs"`
}

type blobKind struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	Title string `json:"title"`
}

type blobFinding struct {
	// S is the severity index in pageBlob.Sev, K the kind index, N the
	// namespace index (-1 for none).
	S int `json:"s"`
	K int `json:"k"`
	N int `json:"n"`
	// St is the status against a baseline: "new" or "unchanged".
	St string `json:"st,omitempty"`
	// NS are the namespaces a finding about several concerns.
	NS []int  `json:"ns,omitempty"`
	M  string `json:"m"`
	R  string `json:"r"`
	// W is the location "file:line".
	W string `json:"w,omitempty"`
	// O are the objects, as indexes in pageBlob.Objects.
	O []int `json:"o,omitempty"`
	// OM counts the objects not listed.
	OM int      `json:"om,omitempty"`
	E  []string `json:"e,omitempty"`
	// X holds extra sections (a verified fix, an excerpt) as
	// title and preformatted text.
	X []blobSection `json:"x,omitempty"`
}

type blobSection struct {
	Title string `json:"t"`
	// Text is an index in pageBlob.Texts: many findings share an
	// excerpt or a patch.
	Text int `json:"v"`
}

type blobNS struct {
	Name string `json:"n"`
	// T is the tenant index, -1 for none.
	T      int  `json:"t"`
	Shared bool `json:"sh,omitempty"`
	Synth  bool `json:"sy,omitempty"`
	DenyIn bool `json:"di,omitempty"`
	DenyEg bool `json:"de,omitempty"`
	// Sev counts the namespace's findings per severity index.
	Sev  [5]int `json:"sev"`
	Pods int    `json:"pods"`
	// Iso counts the pods isolated both ways.
	Iso      int            `json:"iso"`
	Workload []blobPodGroup `json:"w"`
	Policies []string       `json:"p,omitempty"`
	XIn      []blobPeer     `json:"xi,omitempty"`
	XOut     []blobPeer     `json:"xo,omitempty"`
}

// blobPodGroup is the pods of one workload that share isolation and
// reach: a workload whose replicas all behave alike is one group.
type blobPodGroup struct {
	W    string `json:"w"`
	II   bool   `json:"ii,omitempty"`
	IE   bool   `json:"ie,omitempty"`
	D    int    `json:"d"`
	R    int    `json:"r"`
	Host bool   `json:"h,omitempty"`
	// Pods are the pod names; "~x" stands for the workload's name, a
	// dash and x.
	Pods []string `json:"p"`
}

type blobPeer struct {
	Peer  string `json:"p"`
	Count int    `json:"c"`
}

type blobWorkload struct {
	NS   int    `json:"n"`
	Name string `json:"w"`
	Pods int    `json:"c"`
}

type blobRisk struct {
	Rank     int    `json:"rank"`
	Severity int    `json:"s"`
	Title    string `json:"title"`
	Kind     string `json:"kind"`
	Affected string `json:"affected"`
	Scope    string `json:"scope"`
	Findings []int  `json:"f"`
}

type blobExternal struct {
	Name     string     `json:"n"`
	Internet bool       `json:"i"`
	From     []blobPeer `json:"f"`
	To       []blobPeer `json:"t"`
}

// sevIndex maps a severity to its index in pageBlob.Sev (critical 0).
func sevIndex(s audit.Severity) int { return int(audit.Critical - s) }

// buildBlob gathers what the page's script renders.
func buildBlob(d *Document) *pageBlob {
	r := d.Report
	b := &pageBlob{Inputs: strings.Join(d.Inputs, " "), FixesDir: d.FixesDir}
	b.Sev = make([]string, len(audit.Severities()))
	for _, s := range audit.Severities() {
		b.Sev[sevIndex(s)] = s.String()
	}
	nsIndex := make(map[string]int, len(r.Namespaces))
	for i, ns := range r.Namespaces {
		nsIndex[ns.Name] = i
		if ns.Tenant != "" && !slices.Contains(b.Tenants, ns.Tenant) {
			b.Tenants = append(b.Tenants, ns.Tenant)
		}
	}
	slices.Sort(b.Tenants)
	kindIndex := map[audit.Kind]int{}
	present := map[audit.Kind]bool{}
	for _, f := range r.Findings {
		present[f.Kind] = true
	}
	for _, k := range audit.Kinds() {
		if present[k.Kind] {
			kindIndex[k.Kind] = len(b.Kinds)
			b.Kinds = append(b.Kinds, blobKind{k.ID, string(k.Kind), k.Title})
		}
	}
	fixes, noFix := fixIndex(d, b)
	nsSev := make([][5]int, len(r.Namespaces))
	objIndex := map[string]int{}
	b.Objects = []string{}
	textIndex := map[string]int{}
	b.Texts = []string{}
	for fi, f := range r.Findings {
		bf := blobFinding{S: sevIndex(f.Severity), K: kindIndex[f.Kind], N: -1, M: f.Message, R: f.Remedy,
			W: locText(f.PrimaryLocation()), E: f.Evidence, St: string(f.Status)}
		if i, ok := nsIndex[f.Namespace]; ok && f.Namespace != "" {
			bf.N = i
			nsSev[i][bf.S]++
		}
		for _, ns := range f.Namespaces {
			if i, ok := nsIndex[ns]; ok && ns != f.Namespace {
				bf.NS = append(bf.NS, i)
				nsSev[i][bf.S]++
			}
		}
		for _, o := range f.Objects[:min(len(f.Objects), maxObjectsShown)] {
			t := objectText(o)
			k, ok := objIndex[t]
			if !ok {
				k = len(b.Objects)
				objIndex[t] = k
				b.Objects = append(b.Objects, t)
			}
			bf.O = append(bf.O, k)
		}
		bf.OM = max(0, len(f.Objects)-maxObjectsShown)
		for _, x := range findingSections(d, fi, fixes, noFix) {
			k, ok := textIndex[x.text]
			if !ok {
				k = len(b.Texts)
				textIndex[x.text] = k
				b.Texts = append(b.Texts, x.text)
			}
			bf.X = append(bf.X, blobSection{Title: x.title, Text: k})
		}
		b.Findings = append(b.Findings, bf)
	}
	for i, ns := range r.Namespaces {
		v := blobNS{Name: ns.Name, T: slices.Index(b.Tenants, ns.Tenant), Shared: ns.Shared, Synth: ns.Synthesized,
			DenyIn: ns.DefaultDenyIngress, DenyEg: ns.DefaultDenyEgress, Sev: nsSev[i], Pods: len(ns.Pods)}
		if ns.Tenant == "" {
			v.T = -1
		}
		for _, p := range ns.Pods {
			if p.IsolatedIngress && p.IsolatedEgress {
				v.Iso++
			}
		}
		v.Workload = podGroups(ns.Pods)
		for _, o := range ns.Policies {
			v.Policies = append(v.Policies, objectText(o))
		}
		v.XIn, v.XOut = peers(ns.ExternalIn), peers(ns.ExternalOut)
		b.NS = append(b.NS, v)
	}
	b.Flows = make([][]int, len(r.Flows))
	for i, row := range r.Flows {
		b.Flows[i] = []int{}
		for j, c := range row {
			if c > 0 {
				b.Flows[i] = append(b.Flows[i], j, c)
			}
		}
	}
	for _, x := range r.External {
		b.External = append(b.External, blobExternal{Name: x.Name, Internet: x.Internet, From: peers(x.From), To: peers(x.To)})
	}
	b.Risks = topRisks(r)
	workloadFlows(d, b, nsIndex)
	return b
}

func peers(ps []audit.PeerCount) []blobPeer {
	out := make([]blobPeer, len(ps))
	for i, p := range ps {
		out[i] = blobPeer{p.Peer, p.Count}
	}
	return out
}

// podGroups groups a namespace's pods by workload, then by isolation and
// reach, largest workloads first.
func podGroups(pods []audit.PodReport) []blobPodGroup {
	type key struct {
		w        string
		ii, ie   bool
		d, r     int
		hostNet  bool
		position int
	}
	var groups []blobPodGroup
	at := map[key]int{}
	for _, p := range pods {
		k := key{w: p.Workload, ii: p.IsolatedIngress, ie: p.IsolatedEgress, d: p.Direct, r: p.Reach, hostNet: p.HostNetwork}
		if p.Workload == "" {
			k.position = len(groups) + 1 // a bare pod is a group of its own
		}
		i, ok := at[k]
		if !ok {
			i = len(groups)
			at[k] = i
			groups = append(groups, blobPodGroup{W: p.Workload, II: p.IsolatedIngress, IE: p.IsolatedEgress, D: p.Direct, R: p.Reach, Host: p.HostNetwork})
		}
		name := p.Name
		if base := workloadBase(p.Workload); base != "" && strings.HasPrefix(name, base+"-") {
			name = "~" + name[len(base)+1:]
		}
		groups[i].Pods = append(groups[i].Pods, name)
	}
	size := map[string]int{}
	for _, g := range groups {
		size[g.W] += len(g.Pods)
	}
	slices.SortStableFunc(groups, func(a, b blobPodGroup) int {
		if c := cmp.Compare(size[b.W], size[a.W]); c != 0 {
			return c
		}
		return cmp.Compare(a.W, b.W)
	})
	return groups
}

// workloadBase returns the name of a "Kind/name" workload.
func workloadBase(w string) string {
	if i := strings.IndexByte(w, '/'); i >= 0 {
		return w[i+1:]
	}
	return w
}

// topRisks returns the report's ranked risks for the page.
func topRisks(r *audit.Report) []blobRisk {
	out := make([]blobRisk, 0, len(r.TopRisks))
	for _, k := range r.TopRisks {
		out = append(out, blobRisk{Rank: k.Rank, Severity: sevIndex(k.Severity), Title: k.Title, Kind: k.Kind,
			Affected: humanInt(k.Affected) + " affected", Scope: k.Scope, Findings: k.Findings})
	}
	return out
}

// section is a titled preformatted text shown with a finding.
type section struct{ title, text string }

// findingSections returns the extra sections of finding i: the excerpt
// of the input around its location, and its verified fixes (or why it
// has none) when the audit generated fixes.
func findingSections(d *Document, i int, fixes map[int][]*fix.Fix, noFix map[int]string) []section {
	f := &d.Report.Findings[i]
	var out []section
	if x := f.Excerpt; x != nil && len(x.Lines) > 0 {
		out = append(out, section{"excerpt of " + filepathSlash(x.File) + ":" + itoa(x.Line), excerptText(x)})
	}
	for _, fx := range fixes[i] {
		out = append(out, section{"fix " + fx.ID + ": " + fx.Title, fixText(fx)})
	}
	if why := noFix[i]; why != "" {
		out = append(out, section{"no mechanical fix", why})
	}
	return out
}

// fixText describes a verified fix: its effect on the flows, then the
// patch.
func fixText(fx *fix.Fix) string {
	var b strings.Builder
	if e := fx.Effect; e != nil {
		b.WriteString("verified: closes " + humanInt(e.Closed.Pairs) + " pod pairs, opens " + humanInt(e.Opened.Pairs) + "\n")
		for _, g := range e.Closed.Groups[:min(len(e.Closed.Groups), 5)] {
			b.WriteString("  closes " + safetext.Line(g.Src) + " → " + safetext.Line(g.Dst) + " on " + g.Ports + " (" + humanInt(g.Pairs) + " pairs)\n")
		}
		for _, g := range e.Opened.Groups[:min(len(e.Opened.Groups), 5)] {
			b.WriteString("  opens " + safetext.Line(g.Src) + " → " + safetext.Line(g.Dst) + " on " + g.Ports + " (" + humanInt(g.Pairs) + " pairs)\n")
		}
		for _, br := range e.Breaks {
			b.WriteString("BREAKS the expectation " + safetext.Line(br.Rule) + " (" + itoa(br.Violations) + " flows, e.g. " + safetext.Line(br.Example) + "): do not apply as is\n")
		}
	} else {
		b.WriteString("not verified: " + fx.NotVerified + "\n")
	}
	if len(fx.Overlaps) > 0 {
		b.WriteString("writes the same object as " + strings.Join(fx.Overlaps, ", ") + ": apply one, then audit again\n")
	}
	b.WriteString("\n# kubectl apply -f " + fx.ID + ".yaml\n" + fx.YAML)
	return b.String()
}

type blobFix struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Closes   int64  `json:"closes"`
	Opens    int64  `json:"opens"`
	Verified bool   `json:"verified"`
	Breaks   int    `json:"breaks,omitempty"`
	Findings []int  `json:"f"`
}

// fixIndex returns the fixes of each finding and why the others have
// none, and fills the page's list of fixes.
func fixIndex(d *Document, b *pageBlob) (map[int][]*fix.Fix, map[int]string) {
	if d.Fixes == nil {
		return nil, nil
	}
	byID := map[string]*fix.Fix{}
	b.Fixes = []blobFix{}
	for _, fx := range d.Fixes.Fixes {
		byID[fx.ID] = fx
		bf := blobFix{ID: fx.ID, Title: fx.Title}
		if e := fx.Effect; e != nil {
			bf.Verified, bf.Closes, bf.Opens, bf.Breaks = true, e.Closed.Pairs, e.Opened.Pairs, len(e.Breaks)
		}
		for _, f := range fx.Findings {
			bf.Findings = append(bf.Findings, f.Index)
		}
		b.Fixes = append(b.Fixes, bf)
	}
	fixes, noFix := map[int][]*fix.Fix{}, map[int]string{}
	for _, e := range d.Fixes.Entries {
		for _, id := range e.Fixes {
			if fx := byID[id]; fx != nil {
				fixes[e.Finding.Index] = append(fixes[e.Finding.Index], fx)
			}
		}
		if why := e.Reasons(); len(why) > 0 {
			noFix[e.Finding.Index] = strings.Join(why, "\n")
		}
	}
	return fixes, noFix
}

// excerptText numbers an excerpt's lines and marks the located one.
func excerptText(x *audit.Excerpt) string {
	var b strings.Builder
	width := len(itoa(x.Start + len(x.Lines) - 1))
	for k, line := range x.Lines {
		n := x.Start + k
		mark := "  "
		if n == x.Line {
			mark = "> "
		}
		num := itoa(n)
		b.WriteString(mark + strings.Repeat(" ", width-len(num)) + num + " | " + safetext.Line(line) + "\n")
	}
	return b.String()
}

// humanInt writes n with thousands separators: 1,234,567.
func humanInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// packAbove is the size of JSON above which the blob is gzipped: a
// 10,000-pod report's 6 MB of JSON become about 1 MB, and small reports
// stay readable in the page's source.
const packAbove = 1 << 20

// marshalBlob encodes the blob for a <script type="application/json">
// element: HTML-escaped JSON, so that no "</script" can occur in it, or,
// above packAbove bytes, one JSON string holding the gzipped JSON in
// base64, which the page's script unpacks.
func marshalBlob(b *pageBlob) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(b); err != nil {
		return "", err
	}
	if buf.Len() <= packAbove {
		return strings.TrimSuffix(buf.String(), "\n"), nil
	}
	var packed bytes.Buffer
	zw, err := gzip.NewWriterLevel(&packed, gzip.BestCompression) // no name, no time: the same bytes every run
	if err != nil {
		return "", err
	}
	if _, err := zw.Write(buf.Bytes()); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return `"` + base64.StdEncoding.EncodeToString(packed.Bytes()) + `"`, nil
}
