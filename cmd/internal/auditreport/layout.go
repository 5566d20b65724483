package auditreport

import (
	"fmt"
	"math"

	"github.com/netreach/netreach/internal/audit"
)

// The blast-radius chart is laid out here, deterministically, and drawn
// by the template: every coordinate is rounded to one decimal so the
// output is byte-stable. The matrices and the graph are drawn by the
// page's script from the data blob (see data.go).

// relation classifies a pair of namespaces.
type relation int

const (
	relSelf   relation = iota // inside one namespace
	relSame                   // same tenant, or no tenant
	relShared                 // a shared namespace is involved
	relTenant                 // different tenants
)

func r1(x float64) float64 { return math.Round(x*10) / 10 }

func relationOf(r *audit.Report, i, j int) relation {
	a, b := &r.Namespaces[i], &r.Namespaces[j]
	switch {
	case i == j:
		return relSelf
	case a.Shared || b.Shared:
		return relShared
	case a.Tenant != "" && b.Tenant != "" && a.Tenant != b.Tenant:
		return relTenant
	}
	return relSame
}

type bar struct {
	Label      string
	Href       string
	Y          float64
	Width      float64
	DirectW    float64
	Value      string
	ValueX     float64
	Title      string
	LabelWidth float64
}

type barChart struct {
	Width, Height float64
	Left          float64
	BarW          float64
	Bars          []bar
}

// layoutBlast draws the endpoints with the largest blast radius as
// horizontal bars: the transitive reach, with the direct reach darker.
func layoutBlast(r *audit.Report) barChart {
	top := r.BlastRadius[:min(len(r.BlastRadius), 12)]
	var c barChart
	others := max(1, r.Summary.Endpoints-1)
	maxLen := 0
	for _, b := range top {
		maxLen = max(maxLen, len(b.Endpoint))
	}
	c.Left = math.Min(300, float64(maxLen)*7+16)
	c.BarW = 420
	for k, b := range top {
		y := float64(k) * 26
		w := c.BarW * float64(b.Reach) / float64(others)
		dw := c.BarW * float64(b.Direct) / float64(others)
		c.Bars = append(c.Bars, bar{
			Label: b.Endpoint, Href: "#ns-" + b.Namespace, Y: r1(y), Width: r1(math.Max(w, 1)), DirectW: r1(dw),
			Value:  fmt.Sprintf("%d (%s) · %d direct", b.Reach, percent(b.Reach, others), b.Direct),
			ValueX: r1(c.Left + math.Max(w, 1) + 8),
			Title:  fmt.Sprintf("%s reaches %d endpoints directly and %d of %d transitively", b.Endpoint, b.Direct, b.Reach, others),
		})
	}
	c.Width = r1(c.Left + c.BarW + 110)
	c.Height = r1(float64(len(top))*26 + 4)
	return c
}
