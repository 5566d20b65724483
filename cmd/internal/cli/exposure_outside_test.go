package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/netreach/netreach/internal/access"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// TestWriteOutsideExposure writes the exposure of the gateway fixture
// (testdata/access/gateway-routes: the gateway pod forwards to app/web
// 8080, app/tls 8443 and app/dns 5353/UDP) in every format and checks the
// lines a reader relies on.
func TestWriteOutsideExposure(t *testing.T) {
	snap, err := policy.Load(policy.LoadOptions{}, "../../../testdata/access/gateway-routes")
	if err != nil {
		t.Fatal(err)
	}
	m, err := access.Compute(context.Background(), snap, reachability.Options{}, access.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := func(format string) string {
		var b bytes.Buffer
		if err := writeOutsideExposure(&b, m, access.Options{}, format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		return b.String()
	}
	list := out("list")
	for _, want := range []string{
		"{internet} => app/web : TCP 8080\n",
		"{ingress-controller} => app/dns[Service] : UDP 53\n",
		"    via UDPRoute edge/dns spec.rules[0].backendRefs[0] (Gateway edge/public; controller well-known labels) → Service app/dns 53/UDP → 5353/UDP\n",
	} {
		if !strings.Contains(list, want) {
			t.Errorf("list: no %q in\n%s", want, list)
		}
	}
	if strings.Contains(list, "app/api") || strings.Contains(list, "app/syslog") {
		t.Errorf("list: a refused route's backend is listed:\n%s", list)
	}

	rows, err := csv.NewReader(strings.NewReader(out("csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 10 || rows[0][0] != "from" || rows[1][0] != access.Internet || rows[1][1] != "app/dns" || rows[1][4] != "UDP 5353" {
		t.Errorf("csv: got %q", rows)
	}

	var j outsideJSON
	if err := json.Unmarshal([]byte(out("json")), &j); err != nil {
		t.Fatal(err)
	}
	if j.Kind != "OutsideExposure" || len(j.Exposed) != 9 || j.Exposed[2].To != "app/web" || j.Exposed[2].Allowed != "TCP 8080" {
		t.Errorf("json: got %+v", j)
	}

	if md := out("md"); !strings.Contains(md, "| {internet} | app/tls | Pod | TCP 8443 |  | ") {
		t.Errorf("md: got\n%s", md)
	}
	var b bytes.Buffer
	if err := writeOutsideExposure(&b, m, access.Options{}, "yaml"); err == nil {
		t.Error("-o yaml: no error")
	}
}

// TestMDCell checks the escaping of untrusted text in Markdown cells.
func TestMDCell(t *testing.T) {
	if got := mdCell("a|b`c<d>\x1b[31m"); strings.ContainsAny(got, "<>\x1b") || strings.Contains(got, "a|b") {
		t.Errorf("mdCell: %q", got)
	}
}
