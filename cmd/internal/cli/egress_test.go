package cli_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netreach/netreach/cmd/internal/cli"
)

// TestEgressRefusesLargeOutputs: firewall rules for pods that leave with
// any of 200 node addresses, to the whole internet but 30 addresses
// (hundreds of destination prefixes), on 40 ports, are millions of lines:
// refused before anything is written, with the estimated size and the
// ways out; --to narrows them to an output that is written.
func TestEgressRefusesLargeOutputs(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: pods}\nspec: {cidr: 10.0.0.0/8, natOutgoing: true}\n")
	for i := range 200 {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Node\nmetadata: {name: n%d}\nstatus: {addresses: [{type: InternalIP, address: 192.168.%d.%d}]}\n", i, i/100, i%100+1)
	}
	for i := range 2 {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%d, namespace: a}\nspec: {containers: [{name: c, image: c}]}\nstatus: {podIP: 10.0.0.%d}\n", i, i+1)
	}
	b.WriteString("---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: out, namespace: a}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [")
	for i := range 30 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d.%d.7.9/32", 20+i*7, i*5)
	}
	b.WriteString("]}}]\n    ports: [")
	for i := range 40 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "{port: %d}", 1000+2*i)
	}
	b.WriteString("]\n")
	file := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := cli.Run(append([]string{"egress", "-f", file, "--firewall"}, args...), strings.NewReader(""), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	code, stdout, stderr := run()
	if code != cli.ExitBadData || stdout != "" ||
		!strings.Contains(stderr, "the output would be about ") ||
		!strings.Contains(stderr, "above the limit of 10,000,000 rows or 1.0 GB; narrow it with --to CIDR or --focus, or write it anyway with --force") {
		t.Fatalf("egress --firewall = exit %d, stdout %d bytes, stderr %q; want exit %d, nothing written, the size and the ways out", code, len(stdout), stderr, cli.ExitBadData)
	}
	code, stdout, stderr = run("--to", "172.16.0.0/12")
	if code != cli.ExitOK || !strings.Contains(stdout, "allow 192.168.0.1/32 -> 172.16.0.0/12 1000/TCP  # a/p0 via node\n") {
		t.Fatalf("egress --firewall --to 172.16.0.0/12 = exit %d, stderr %q, stdout:\n%.500s", code, stderr, stdout)
	}
	if code, _, stderr = run("--focus", "nonsense=("); code != cli.ExitBadData || !strings.Contains(stderr, "--focus") {
		t.Fatalf("egress --focus nonsense=( = exit %d, stderr %q; want a usage error", code, stderr)
	}
}
