package policy

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// document is one YAML document of an input file, with what is needed to
// turn a JSON field path back into a line and column.
type document struct {
	file      string
	index     int    // 1-based document index in the file
	startLine int    // 1-based line of the document's first line in the file
	text      []byte // the document's YAML text
	json      []byte // the document converted to JSON

	parsed bool
	root   *yaml.Node
}

// location returns the document's own location.
func (d *document) location() Location {
	if d == nil {
		return Location{}
	}
	return Location{File: d.file, Doc: d.index, Line: d.startLine}
}

// locate returns the position of the field at path ("spec.ingress[0].from",
// relative to the document root) or the closest enclosing field that
// exists. Parsing for positions happens only when a position is needed.
func (d *document) locate(path string) Location {
	if d == nil {
		return Location{}
	}
	loc := d.location()
	if !d.parsed {
		d.parsed = true
		var n yaml.Node
		if err := yaml.Unmarshal(d.text, &n); err == nil && len(n.Content) > 0 {
			d.root = n.Content[0]
		}
	}
	if d.root == nil {
		return loc
	}
	n := walkPath(d.root, path)
	loc.Line = d.startLine + n.Line - 1
	loc.Col = n.Column
	return loc
}

// walkPath follows a JSON field path through a YAML node tree and returns
// the deepest node reached: for a mapping key, the key node (so an unknown
// field points at its name). Keys may themselves contain dots (label
// keys), so at each mapping the longest key that matches a prefix of the
// remaining path wins.
func walkPath(n *yaml.Node, path string) *yaml.Node {
	cur := n
	rest := path
	for rest != "" {
		for cur.Kind == yaml.AliasNode && cur.Alias != nil {
			cur = cur.Alias
		}
		if rest[0] == '[' {
			end := strings.IndexByte(rest, ']')
			if end < 0 || cur.Kind != yaml.SequenceNode {
				return cur
			}
			i, err := strconv.Atoi(rest[1:end])
			if err != nil || i < 0 || i >= len(cur.Content) {
				return cur
			}
			cur = cur.Content[i]
			rest = strings.TrimPrefix(rest[end+1:], ".")
			continue
		}
		if cur.Kind != yaml.MappingNode {
			return cur
		}
		best, bestLen := -1, 0
		for i := 0; i+1 < len(cur.Content); i += 2 {
			k := cur.Content[i].Value
			if len(k) > bestLen && strings.HasPrefix(rest, k) &&
				(len(rest) == len(k) || rest[len(k)] == '.' || rest[len(k)] == '[') {
				best, bestLen = i, len(k)
			}
		}
		if best < 0 {
			return cur
		}
		rest = rest[bestLen:]
		if rest == "" {
			return cur.Content[best]
		}
		cur = cur.Content[best+1]
		rest = strings.TrimPrefix(rest, ".")
	}
	return cur
}

// jsonPathAt returns the field path ("spec.ingress[0].ports[1].port") of
// the JSON value at byte offset off of data: the value that was being read
// when encoding/json reported a type error "after reading off bytes" (for
// an object or list, that is just after its opening bracket).
func jsonPathAt(data []byte, off int64) string {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	found := ""
	var walk func(path string) bool
	walk = func(path string) bool {
		tok, err := dec.Token()
		if err != nil || dec.InputOffset() >= off {
			found = path
			return true
		}
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				k, err := dec.Token()
				key, ok := k.(string)
				if err != nil || !ok {
					found = path
					return true
				}
				child := key
				if path != "" {
					child = path + "." + key
				}
				if walk(child) {
					return true
				}
			}
			_, _ = dec.Token()
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if walk(path + "[" + strconv.Itoa(i) + "]") {
					return true
				}
			}
			_, _ = dec.Token()
		}
		return false
	}
	walk("")
	return found
}
