// Package checkout writes the results of `netreach check` for people and
// for CI systems: text ([WriteText]), JSON ([WriteJSON]), JUnit XML
// ([WriteJUnit]) and SARIF 2.1.0 ([WriteSARIF]), all from one [Report].
//
// It lives under cmd/internal so that its dependencies (go-sarif and its
// JSON-schema validator) never reach library users; the checks themselves
// are in package expect. Every writer is byte-stable: no timestamps, the
// tool version taken from the Report, paths as given (SARIF makes absolute
// paths relative to Report.BaseDir).
package checkout
