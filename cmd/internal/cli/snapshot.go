package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netreach/netreach/internal/live"
	"github.com/netreach/netreach/internal/safetext"
)

func init() { registerCommand(newSnapshotCmd) }

type snapshotFlags struct {
	live       clusterFlags
	namespaces []string
	out        string
	quiet      bool
}

func newSnapshotCmd(e *env) *cobra.Command {
	f := &snapshotFlags{}
	c := &cobra.Command{
		Use:   "snapshot [--kubeconfig FILE] [--context NAME] [-n NS] -o DIR|FILE.yaml",
		Short: "Write what netreach reads from a live cluster as manifests, to analyse offline with -f",
		Long: `snapshot reads the cluster of the current kubeconfig context (or of --kubeconfig
and --context) as every other command does with --cluster, and writes what it
read as manifests: into a directory, one file per resource (pods.yaml,
networkpolicies.networking.k8s.io.yaml, ...), or, when -o ends in .yaml or
.yml, into one multi-document file. Each object is written as
'kubectl get -o yaml' prints it, without metadata.managedFields. Rerun any
command with -f on the result: it gives the answer the cluster gave.

A file appears only once complete; a directory must be new or empty.
-n restricts the namespaced resources to those namespaces.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runSnapshot(e, f) },
	}
	f.live.register(c)
	fl := c.Flags()
	fl.StringSliceVarP(&f.namespaces, "namespace", "n", nil, "only the namespaced objects of these namespaces (repeatable)")
	fl.StringVarP(&f.out, "output", "o", "", "directory (one file per resource) or FILE.yaml (one multi-document file) to write")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "do not print warnings and notes")
	return c
}

func runSnapshot(e *env, f *snapshotFlags) error {
	switch {
	case f.out == "":
		return usageError("snapshot needs -o DIR or -o FILE.yaml")
	case f.out == "-":
		return usageError("snapshot -o -: give -o DIR or -o FILE.yaml; the manifests are data, written byte for byte to files")
	}
	var w *live.Writer
	var file *os.File
	if ext := strings.ToLower(filepath.Ext(f.out)); ext == ".yaml" || ext == ".yml" {
		var err error
		if file, err = os.CreateTemp(filepath.Dir(f.out), "."+filepath.Base(f.out)+".*.tmp"); err != nil {
			return &exitError{code: ExitOutput, err: err}
		}
		defer func() {
			if file != nil { // not completed
				file.Close()
				os.Remove(file.Name())
			}
		}()
		w = live.NewStreamWriter(file)
	} else {
		var err error
		if w, err = live.NewDirWriter(f.out); err != nil {
			return &exitError{code: ExitOutput, err: err}
		}
	}
	var name string
	var werr error
	err := f.live.read(e, f.quiet, func(c *live.Cluster, o live.Object) error {
		name = c.Name()
		werr = w.Write(o)
		return werr
	})
	if err != nil {
		w.Abort()
		if werr != nil {
			return &exitError{code: ExitOutput, err: werr}
		}
		return err
	}
	if err := w.Close(); err != nil {
		return &exitError{code: ExitOutput, err: err}
	}
	if file != nil {
		err := file.Chmod(0o644)
		if cerr := file.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(file.Name(), f.out)
		}
		if err != nil {
			os.Remove(file.Name())
			file = nil
			return &exitError{code: ExitOutput, err: err}
		}
		file = nil
	}
	fmt.Fprintln(e.stderr, safetext.Line(fmt.Sprintf("wrote %d objects of cluster %s to %s", w.Objects(), name, f.out)))
	return nil
}
