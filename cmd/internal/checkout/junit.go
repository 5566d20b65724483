package checkout

import (
	"bytes"
	"encoding/xml"
	"io"

	"github.com/netreach/netreach/internal/expect"
)

// JUnit XML as Jenkins, GitLab and GitHub test reporters read it (the
// schema of Jenkins' xunit plugin, junit-10.xsd): one <testsuite> per
// expectations file and one for the golden matrix, one <testcase> per
// rule; a failing rule has a <failure>, a rule that cannot be evaluated an
// <error>. No timestamps or times, so the output is byte-stable.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"`
}

// WriteJUnit writes the report as JUnit XML.
func WriteJUnit(w io.Writer, r *Report) error {
	props := []junitProperty{{"netreach.version", r.Version}, {"netreach.options", r.Options}}
	out := junitSuites{Name: "netreach check"}
	byFile := map[string]int{}
	for i := range r.Results {
		res := &r.Results[i]
		file := res.Rule.Source.File
		k, ok := byFile[file]
		if !ok {
			k = len(out.Suites)
			byFile[file] = k
			out.Suites = append(out.Suites, junitSuite{Name: file, Properties: props})
		}
		s := &out.Suites[k]
		c := junitCase{Name: res.Rule.Name, Classname: file}
		if res.Status != expect.Pass {
			var body bytes.Buffer
			writeResultDetail(&body, res, r.MaxExamples, "")
			p := &junitProblem{Message: headline(res), Type: failureKind(res), Body: body.String()}
			if res.Status == expect.Fail {
				c.Failure = p
				s.Failures++
			} else {
				c.Error = p
				s.Errors++
			}
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	if d := r.Drift; d != nil {
		s := junitSuite{Name: goldenName(d), Tests: 1, Properties: append(props, junitProperty{"netreach.golden.level", d.Level.String()})}
		c := junitCase{Name: goldenName(d), Classname: d.Golden}
		if !d.IsEmpty() {
			var body bytes.Buffer
			writeDriftDetail(&body, d, r.MaxExamples, "")
			c.Failure = &junitProblem{Message: driftHeadline(d), Type: "golden-drift", Body: body.String()}
			s.Failures = 1
		}
		s.Cases = append(s.Cases, c)
		out.Suites = append(out.Suites, s)
	}
	for _, s := range out.Suites {
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
