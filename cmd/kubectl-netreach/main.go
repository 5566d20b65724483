// Command kubectl-netreach is netreach installed as a kubectl plugin:
// `kubectl netreach matrix` reads the cluster of the current kubeconfig
// context when no -f is given, and `kubectl netreach matrix -f manifests/`
// reads manifests as netreach does. Any binary of netreach named
// kubectl-netreach behaves so.
package main

import (
	"os"

	"github.com/netreach/netreach/cmd/internal/cli"
)

func main() {
	os.Exit(cli.Main())
}
