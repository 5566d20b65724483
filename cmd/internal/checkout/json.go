package checkout

import (
	"encoding/json"
	"io"

	"github.com/netreach/netreach/internal/expect"
	"github.com/netreach/netreach/internal/reachability"
)

// JSONKind is the kind of the JSON report (apiVersion netreach.io/v1alpha1).
const JSONKind = "CheckReport"

type reportJSON struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Version    string       `json:"version"`
	Options    string       `json:"options"`
	Summary    summaryJSON  `json:"summary"`
	Results    []resultJSON `json:"results"`
	Golden     *goldenJSON  `json:"golden,omitempty"`
}

type summaryJSON struct {
	Checks int `json:"checks"`
	Passed int `json:"passed"`
	Failed int `json:"failed"`
	Errors int `json:"errors"`
}

type resultJSON struct {
	Name          string              `json:"name"`
	Description   string              `json:"description,omitempty"`
	Kind          expect.RuleKind     `json:"kind"`
	Source        string              `json:"source"`
	Status        expect.Status       `json:"status"`
	Error         string              `json:"error,omitempty"`
	Location      string              `json:"location,omitempty"`
	Pairs         int                 `json:"pairs"`
	FailedPairs   int                 `json:"failedPairs"`
	NumViolations int                 `json:"violations"`
	Examples      []flowJSON          `json:"examples,omitempty"`
	Cause         *causeJSON          `json:"cause,omitempty"`
	Trace         *reachability.Trace `json:"trace,omitempty"`
	Path          []string            `json:"path,omitempty"`
}

type flowJSON struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Protocol    string `json:"protocol"`
	Port        string `json:"port,omitempty"`
	Verdict     string `json:"verdict,omitempty"`
	Before      string `json:"before,omitempty"`
	After       string `json:"after,omitempty"`
}

type causeJSON struct {
	Location string `json:"location,omitempty"`
	Policy   string `json:"policy,omitempty"`
	Text     string `json:"text"`
}

type goldenJSON struct {
	File    string              `json:"file"`
	Level   expect.Level        `json:"level"`
	Status  expect.Status       `json:"status"`
	Added   []string            `json:"added,omitempty"`
	Removed []string            `json:"removed,omitempty"`
	Gained  []flowJSON          `json:"gained,omitempty"`
	Lost    []flowJSON          `json:"lost,omitempty"`
	Notes   []string            `json:"notes,omitempty"`
	Cause   *causeJSON          `json:"cause,omitempty"`
	Trace   *reachability.Trace `json:"trace,omitempty"`
	Path    []string            `json:"path,omitempty"`
}

// WriteJSON writes the report as one indented JSON document (apiVersion
// netreach.io/v1alpha1, kind CheckReport). Every offending flow kept by
// the evaluation is listed, and every golden change.
func WriteJSON(w io.Writer, r *Report) error {
	s := r.Summary()
	out := reportJSON{APIVersion: reachability.JSONAPIVersion, Kind: JSONKind, Version: r.Version, Options: r.Options,
		Summary: summaryJSON(s), Results: []resultJSON{}}
	for i := range r.Results {
		res := &r.Results[i]
		rj := resultJSON{Name: res.Rule.Name, Description: res.Rule.Description, Kind: res.Rule.Kind,
			Source: res.Rule.Source.String(), Status: res.Status, Pairs: res.Pairs, FailedPairs: res.FailedPairs,
			NumViolations: res.NumViolations, Cause: causeOf(res.Cause), Trace: res.Trace, Path: res.Path}
		if res.Status != expect.Pass {
			rj.Location = res.Location.String()
		}
		if res.Err != nil {
			rj.Error = res.Err.Error()
		}
		for _, v := range res.Violations {
			rj.Examples = append(rj.Examples, flowJSON{Source: v.Src, Destination: v.Dst, Protocol: v.Protocol.String(),
				Port: reachability.PortAtom{Protocol: v.Protocol, Lo: v.Lo, Hi: v.Hi}.PortString(), Verdict: v.Verdict.String()})
		}
		out.Results = append(out.Results, rj)
	}
	if d := r.Drift; d != nil {
		gj := &goldenJSON{File: d.Golden, Level: d.Level, Status: expect.Pass, Added: d.Added, Removed: d.Removed,
			Notes: d.Notes, Cause: causeOf(d.Cause), Trace: d.Trace, Path: d.Path}
		if !d.IsEmpty() {
			gj.Status = expect.Fail
		}
		conv := func(cs []reachability.Change) []flowJSON {
			var out []flowJSON
			for _, c := range cs {
				out = append(out, flowJSON{Source: c.Src, Destination: c.Dst, Protocol: c.Protocol.String(), Port: c.Ports(),
					Before: c.Before.String(), After: c.After.String()})
			}
			return out
		}
		gj.Gained, gj.Lost = conv(d.Gained), conv(d.Lost)
		out.Golden = gj
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func causeOf(c *expect.Cause) *causeJSON {
	if c == nil {
		return nil
	}
	cj := &causeJSON{Location: c.Location.String(), Text: c.Text}
	if c.Policy.Kind != "" {
		cj.Policy = c.Policy.String()
	}
	return cj
}
