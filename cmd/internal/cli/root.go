// Package cli implements the netreach command line: flags, reading input,
// formatting output. Semantics live in the library packages.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netreach/netreach/internal/access"
	"github.com/netreach/netreach/internal/mesh"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/internal/safetext"
)

// Exit codes, stable for scripts and CI.
const (
	ExitOK      = 0
	ExitFailed  = 1 // a check failed, or findings at or above --fail-on
	ExitBadData = 2 // bad input or usage
)

// Version is the tool version printed by `netreach version` and written
// into reports. Golden files depend on it, so it changes only on release.
const Version = "0.1.0"

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError marks bad flags or arguments (exit 2).
func usageError(format string, args ...any) error {
	return &exitError{code: ExitBadData, err: fmt.Errorf(format, args...)}
}

// Run executes the command line args and returns the exit code.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	out := newCheckedWriter(stdout)
	root, e := newRoot(stdin, out, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if perr := e.profile.stop(); perr != nil && err == nil {
		err = perr
	}
	e.flush()
	stderr = e.stderr
	if werr := out.Flush(); werr != nil {
		// The answer is lost: that decides the exit code, whatever the
		// command said.
		var ee *exitError
		if err != nil && (!errors.As(err, &ee) || ee.err != nil) && !errors.Is(err, werr) {
			printError(stderr, err)
		}
		printError(stderr, fmt.Errorf("writing the output: %w", werr))
		return ExitOutput
	}
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			printError(stderr, ee.err)
		}
		return ee.code
	}
	// cobra's own errors: unknown flags, commands, argument counts.
	printError(stderr, err)
	return ExitBadData
}

// printError prints a one-line error, its untrusted text escaped.
func printError(w io.Writer, err error) {
	fmt.Fprintln(w, "netreach:", safeLines(err.Error()))
}

// env is what every command shares.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// flush writes what the output filters hold back (set by escapeOutput).
	flush func()
	// profile holds the hidden --cpuprofile flag (profile.go).
	profile profileFlags
}

// newRoot returns the root command and the environment its commands share.
func newRoot(stdin io.Reader, stdout, stderr io.Writer) (*cobra.Command, *env) {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, flush: func() {}}
	root := &cobra.Command{
		Use:   "netreach",
		Short: "Who can connect to whom under Kubernetes and Calico network policies, offline and exactly",
		Long: `netreach reads Kubernetes manifests (pods, workloads, namespaces, services)
and network policies (Kubernetes NetworkPolicy, AdminNetworkPolicy,
BaselineAdminNetworkPolicy, ClusterNetworkPolicy, Calico v3) and computes
which endpoints can open connections to which, per protocol and port.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		e.escapeOutput(c)
		return e.profile.start()
	}
	e.profile.register(root)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError("%v\nSee '%s --help'.", err, c.CommandPath())
	})
	root.AddCommand(newMatrixCmd(e), newVersionCmd(e))
	for _, c := range commands {
		root.AddCommand(c(e))
	}
	return root, e
}

// commands are the subcommands that register themselves from their own
// files (check, audit, explain, diff, generate), so that adding one does
// not touch this file.
var commands []func(*env) *cobra.Command

// registerCommand adds a subcommand; call it from an init function.
func registerCommand(c func(*env) *cobra.Command) { commands = append(commands, c) }

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the netreach version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintln(e.stdout, "netreach", Version)
			return nil
		},
	}
}

// inputFlags are the flags of every command that reads manifests.
type inputFlags struct {
	files            []string
	mode             string
	calicoVersion    string
	staged           string
	strict           bool
	maxDocBytes      int
	maxDocs          int
	ipBlockPodIPs    bool
	ownNodeEgressPol bool
	mesh             string
	meshRoot         string
	meshTrustDomain  string
	kyverno          string
	quiet            bool
	// keepGoing analyses what is valid when the input has errors;
	// inputErrors counts the errors it let pass, for the exit code.
	keepGoing   bool
	inputErrors int
	// noStagedFlag leaves out --staged, for commands that use the name
	// themselves (diff).
	noStagedFlag bool
	// hide, when set, keeps diagnostics it accepts off stderr (diff --apply
	// hides "namespace not declared" for namespaces the base declares).
	hide func(policy.Diagnostic) bool
	// printed holds the diagnostics of the computation already printed,
	// so a command that computes twice (diff) says each once.
	printed map[string]bool
	// access are the switches of Services, Ingress and routes (access.go).
	access accessFlags
	// host are the Felix settings of host endpoints (hostflags.go).
	host hostFlags
	// live selects a cluster to read (live.go).
	live clusterFlags
}

func (f *inputFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringArrayVarP(&f.files, "filename", "f", nil, "manifest file, directory (recursive) or - for stdin; repeatable")
	fl.StringVar(&f.mode, "mode", "auto", "how policy APIs combine: auto (calico when any projectcalico.org/v3 object is present), k8s or calico")
	fl.StringVar(&f.calicoVersion, "calico-version", "latest", "Calico version profile in calico mode: 3.28 (pre-3.29), 3.29, 3.30, 3.31, 3.32 or latest")
	if !f.noStagedFlag {
		fl.StringVar(&f.staged, "staged", "enforced", "Calico staged policies: enforced (ignored), calico-pending (evaluated alongside) or promote (replace their enforced counterparts)")
	}
	fl.BoolVar(&f.strict, "strict", false, "treat unknown fields as errors")
	fl.IntVar(&f.maxDocBytes, "max-document-bytes", policy.DefaultMaxDocumentBytes, "largest YAML document (or item of a JSON List) accepted")
	fl.IntVar(&f.maxDocs, "max-documents", policy.DefaultMaxDocuments, "most YAML documents (and JSON List items) accepted over all inputs")
	fl.BoolVar(&f.ipBlockPodIPs, "ipblock-matches-pod-ips", true, "Kubernetes ipBlock peers also match pod IPs (false: Cilium behaviour)")
	fl.BoolVar(&f.ownNodeEgressPol, "own-node-egress-policed", true, "apply a pod's egress policy to its own node (false: always allowed)")
	fl.StringVar(&f.mesh, "mesh", "auto", "service-mesh layer: auto (istio when Istio AuthorizationPolicy or PeerAuthentication objects are present), off or istio")
	fl.StringVar(&f.meshRoot, "mesh-root-namespace", "", "Istio root namespace: its policies apply mesh-wide (default istio-system)")
	fl.StringVar(&f.meshTrustDomain, "mesh-trust-domain", "", "trust domain of the mesh identities (default cluster.local)")
	fl.StringVar(&f.kyverno, "kyverno", "simulate", "Kyverno ClusterPolicies and Policies: simulate (apply their mutate and generate rules as on admission) or off (skip them, with a warning)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "do not print warnings")
	f.access.register(fl)
	f.host.register(fl)
	f.live.register(c)
	f.registerKeepGoing(c)
}

// load reads the input, prints diagnostics on stderr, and fails with exit
// code 2 on any error.
func (f *inputFlags) load(e *env) (*policy.Snapshot, reachability.Options, error) {
	cluster := f.live.wanted(f.files)
	if len(f.files) == 0 && !cluster {
		return nil, reachability.Options{}, usageError("no input: give manifests with -f FILE|DIR|- (repeatable), or read a cluster with --kubeconfig, --context or --cluster")
	}
	return f.loadFrom(e, f.files, cluster)
}

// loadPaths reads the given paths with the flags' settings.
func (f *inputFlags) loadPaths(e *env, paths []string) (*policy.Snapshot, reachability.Options, error) {
	return f.loadFrom(e, paths, false)
}

// loadFrom reads the cluster the flags select (when cluster is true), then
// the given paths, with the flags' settings.
func (f *inputFlags) loadFrom(e *env, paths []string, cluster bool) (*policy.Snapshot, reachability.Options, error) {
	defer loadingGC()()
	var opts reachability.Options
	mode, err := policy.ParseMode(f.mode)
	if err != nil {
		return nil, opts, usageError("--mode: %v", err)
	}
	version, err := policy.ParseCalicoVersion(f.calicoVersion)
	if err != nil {
		return nil, opts, usageError("--calico-version: %v", err)
	}
	staged, err := policy.ParseStagedView(f.staged)
	if err != nil {
		return nil, opts, usageError("--staged: %v", err)
	}
	meshMode, err := reachability.ParseMeshMode(f.mesh)
	if err != nil {
		return nil, opts, usageError("--mesh: %v", err)
	}
	kyv, err := policy.ParseKyvernoMode(f.kyverno)
	if err != nil {
		return nil, opts, usageError("--kyverno: %v", err)
	}
	opts = reachability.Options{
		Mode:                   mode,
		CalicoVersion:          version,
		Staged:                 staged,
		IPBlockIgnoresPodIPs:   !f.ipBlockPodIPs,
		OwnNodeEgressUnpoliced: !f.ownNodeEgressPol,
		Mesh:                   meshMode,
		MeshOptions:            mesh.Options{RootNamespace: f.meshRoot, TrustDomain: f.meshTrustDomain},
	}
	if err := f.host.apply(&opts); err != nil {
		return nil, opts, err
	}
	l := policy.NewLoader(policy.LoadOptions{
		Strict: f.strict, MaxDocumentBytes: f.maxDocBytes, MaxDocuments: f.maxDocs, Stdin: e.stdin, Kyverno: kyv,
	})
	if cluster {
		if err := f.readCluster(e, l); err != nil {
			return nil, opts, err
		}
	}
	for _, p := range paths {
		l.AddPath(p)
	}
	snap, err := l.Snapshot()
	for _, d := range snap.Diagnostics {
		if f.hide != nil && d.Severity != policy.Error && f.hide(d) {
			continue
		}
		if d.Severity == policy.Error || (!f.quiet && d.Severity == policy.Warning) {
			fmt.Fprintln(e.stderr, safetext.Line(d.String()))
		}
	}
	// What was skipped is said even when the input has errors: the user
	// fixing them should not learn about it only afterwards.
	if !f.quiet {
		for _, sk := range snap.Skipped {
			fmt.Fprintln(e.stderr, safetext.Line(fmt.Sprintf("%s: skipped %s: %s", sk.Source, sk.ObjectRef, sk.Reason)))
		}
	}
	if err != nil {
		n := len(snap.Diagnostics.Errors())
		if f.keepGoing {
			f.inputErrors += n
			return snap, opts, nil
		}
		return nil, opts, &exitError{code: ExitBadData, err: fmt.Errorf("%d error%s in the input (--keep-going analyses the rest)", n, plural(n))}
	}
	return snap, opts, nil
}

// compute runs the bitset engine and prints what lowering the policies
// reported (unless -q).
func (f *inputFlags) compute(ctx context.Context, e *env, snap *policy.Snapshot, opts reachability.Options) (*reachability.Matrix, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	aopts, err := f.access.options()
	if err != nil {
		return nil, err
	}
	m, err := access.Compute(ctx, snap, opts, aopts)
	if err != nil {
		return nil, &exitError{code: ExitBadData, err: err}
	}
	f.report(e, m.Diagnostics())
	return m, nil
}

// report prints the diagnostics of a computation that were not printed
// yet (unless -q).
func (f *inputFlags) report(e *env, ds policy.Diagnostics) {
	if f.quiet {
		return
	}
	for _, d := range ds {
		line := d.String()
		if f.printed[line] {
			continue
		}
		if f.printed == nil {
			f.printed = map[string]bool{}
		}
		f.printed[line] = true
		fmt.Fprintln(e.stderr, safetext.Line(line))
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// parsePortFlag parses "80/TCP", "80" (TCP) or "ICMP".
func parsePortFlag(s string) (policy.Protocol, uint16, error) {
	num, proto, hasProto := strings.Cut(s, "/")
	if !hasProto {
		if strings.Trim(s, "0123456789") != "" {
			// A protocol without ports, such as ICMP.
			p, err := policy.ParseProtocol(s)
			if err != nil {
				return 0, 0, err
			}
			if p.HasPorts() {
				return 0, 0, fmt.Errorf("invalid port %q: give the port number, as 80/%s", s, p)
			}
			return p, 0, nil
		}
		proto = "TCP"
	}
	p, err := policy.ParseProtocol(proto)
	if err != nil {
		return 0, 0, err
	}
	if !p.HasPorts() {
		return 0, 0, fmt.Errorf("invalid port %q: %s has no ports", s, p)
	}
	var n int
	if _, err := fmt.Sscanf(num, "%d", &n); err != nil || n < 1 || n > 65535 || fmt.Sprint(n) != num {
		return 0, 0, fmt.Errorf("invalid port %q: expected NUMBER/PROTOCOL such as 80/TCP", s)
	}
	return p, uint16(n), nil
}
