package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/netreach/netreach/cmd/internal/cli"
	"github.com/netreach/netreach/internal/fakeapi"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"netreach":         func() { os.Exit(cli.Main()) },
		"kubectl-netreach": func() { os.Exit(cli.Main()) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script: exit codes,
// stdout and stderr of the CLI. $TESTDATA is the repository's testdata;
// $KUBECONFIG names a fake API server that serves the recorded cluster of
// testdata/live/shop under the contexts kind-shop (current) and other.
func TestScripts(t *testing.T) {
	td, err := filepath.Abs("../../testdata")
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := fakeapi.Start(t, filepath.Join(td, "live", "shop")).Kubeconfig(t, "kind-shop", "other")
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("TESTDATA", td)
			env.Setenv("KUBECONFIG", kubeconfig)
			return nil
		},
	})
}
