// Command kubectl-netreach is netreach installed as a kubectl plugin:
// `kubectl netreach matrix -f manifests/`.
package main

import (
	"os"

	"github.com/netreach/netreach/cmd/internal/cli"
)

func main() {
	os.Exit(cli.Main())
}
