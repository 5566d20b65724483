// Command netreach answers, offline and exactly, who can connect to whom
// in a Kubernetes cluster under its network policies. See README.md.
package main

import (
	"os"

	"github.com/netreach/netreach/cmd/internal/cli"
)

func main() {
	os.Exit(cli.Main())
}
