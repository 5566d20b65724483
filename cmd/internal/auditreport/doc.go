// Package auditreport writes the report of `netreach audit` for people
// and for CI systems: a self-contained HTML page (inline CSS, SVG and a
// little JavaScript; nothing is fetched from the network), Markdown, JSON
// and SARIF 2.1.0. It renders an [audit.Report] and judges nothing itself.
// It lives under cmd/internal so that its dependencies (go-sarif) never
// reach library users.
//
// Every output depends only on the [Document], so equal input gives equal
// bytes: no timestamps, paths as given on the command line, and the tool
// version from the caller.
package auditreport
