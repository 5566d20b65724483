package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/netreach/netreach/internal/live"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/safetext"
)

// pluginName is the name kubectl runs netreach under as a plugin
// (`kubectl netreach ...`); so named, netreach reads the current context
// when no -f is given.
const pluginName = "kubectl-netreach"

// isPlugin reports whether the program runs as the kubectl plugin.
func isPlugin() bool {
	name := filepath.Base(os.Args[0])
	return strings.TrimSuffix(name, ".exe") == pluginName
}

// clusterFlags select a live cluster to read.
type clusterFlags struct {
	kubeconfig string
	context    string
	cluster    bool
	pageSize   int64
	// cmd is the command, whose -n (if it has one) restricts the read.
	cmd *cobra.Command
}

func (f *clusterFlags) register(c *cobra.Command) {
	f.cmd = c
	fl := c.Flags()
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "read the cluster of this kubeconfig file (see 'Live clusters' in README.md)")
	fl.StringVar(&f.context, "context", "", "read the cluster of this kubeconfig context")
	fl.BoolVar(&f.cluster, "cluster", false, "read the cluster of the current kubeconfig context ($KUBECONFIG, ~/.kube/config, or in-cluster); the default as kubectl-netreach without -f")
	fl.Int64Var(&f.pageSize, "page-size", live.DefaultPageSize, "objects per list request when reading a cluster")
}

// wanted reports whether a cluster is to be read: a flag asks for it, or
// the kubectl plugin runs with no manifests.
func (f *clusterFlags) wanted(files []string) bool {
	return f.kubeconfig != "" || f.context != "" || f.cluster || (len(files) == 0 && isPlugin())
}

// namespaces returns the command's -n, if it has one.
func (f *clusterFlags) namespaces() []string {
	if f.cmd == nil {
		return nil
	}
	fl := f.cmd.Flags().Lookup("namespace")
	if fl == nil {
		return nil
	}
	if sv, ok := fl.Value.(pflag.SliceValue); ok {
		return sv.GetSlice()
	}
	return nil
}

// connect returns the cluster the flags select; progress, when not nil,
// follows the read.
func (f *clusterFlags) connect(progress func(resource string, done, total int)) (*live.Cluster, error) {
	if f.pageSize < 1 {
		return nil, usageError("--page-size must be positive")
	}
	opts := live.Options{Namespaces: f.namespaces(), PageSize: f.pageSize, Progress: progress}
	c, err := live.Connect(live.KubeconfigOptions{Path: f.kubeconfig, Context: f.context}, opts)
	if err != nil {
		return nil, &exitError{code: ExitBadData, err: err}
	}
	return c, nil
}

// read reads the selected cluster, handing each object to fn, with a
// progress bar on a terminal, and prints the notes of the read (warnings
// and info unless quiet).
func (f *clusterFlags) read(e *env, quiet bool, fn func(c *live.Cluster, o live.Object) error) error {
	prog := newProgress(e.stderr, false)
	defer prog.end()
	current := ""
	var update func(done, total int)
	c, err := f.connect(func(resource string, done, total int) {
		if resource != current {
			current = resource
			update = prog.phase("reading "+resource, total)
		}
		update(done, total)
	})
	if err != nil {
		return err
	}
	notes, err := c.Read(context.Background(), func(o live.Object) error { return fn(c, o) })
	prog.end()
	for _, n := range notes {
		if n.Severity == policy.Error || !quiet {
			fmt.Fprintln(e.stderr, safetext.Line(n.String()))
		}
	}
	if err != nil {
		return &exitError{code: ExitBadData, err: err}
	}
	return nil
}

// readCluster reads the selected cluster into l.
func (f *inputFlags) readCluster(e *env, l *policy.Loader) error {
	return f.live.read(e, f.quiet, func(c *live.Cluster, o live.Object) error {
		l.AddBytes(o.Source(c.Name()), o.Manifest)
		return nil
	})
}
