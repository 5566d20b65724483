// Package viewreport writes what `netreach matrix` and `netreach diff`
// show of a matrix: the connection list of a grouped view (text, CSV,
// JSON), a terminal table that fits the screen, and graphs (Graphviz dot,
// Mermaid, SVG). Every writer streams: memory does not grow with the size
// of the output. [Spool] measures an output before it reaches the user,
// so that one that would exceed [MaxRows] or [MaxBytes] is refused with
// its size and the ways out instead of being written.
//
// The writers judge nothing: the aggregation is the library's
// (reachability.GroupedView). Names read from manifests are escaped for
// the output's format (safetext.Line in text, encoding/json in JSON, XML
// escaping in SVG, quoting in dot and Mermaid).
package viewreport
