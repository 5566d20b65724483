// Package fieldpath maps the JSON field paths that decoders report
// ("spec.ingress[0].from[1].ports") back to places in the input: the node
// of a YAML tree, or the path of the value at a byte offset of JSON text.
// The loader of manifests and the expectations parser share it.
package fieldpath

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Walk follows a field path through a YAML node tree and returns the
// deepest node reached: for a mapping entry, the key node (so that an
// unknown field points at its name), or its value node when value is true.
// Keys may contain dots (label keys): at each mapping the longest key that
// is a prefix of the rest of the path wins.
func Walk(n *yaml.Node, path string, value bool) *yaml.Node {
	cur, rest := n, path
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
		if rest == "" && !value {
			return cur.Content[best]
		}
		cur = cur.Content[best+1]
		rest = strings.TrimPrefix(rest, ".")
	}
	return cur
}

// AtOffset returns the field path of the JSON value being read at byte
// offset off of data: where encoding/json reports a type error ("after
// reading off bytes"; for an object or list, just after its opening
// bracket) or a syntax error.
func AtOffset(data []byte, off int64) string {
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
