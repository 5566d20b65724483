package policy

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// referenceJSONLocate is the plain definition of what
// [document.jsonLocate] computes: one walk from the root per lookup,
// keeping the deepest value whose path is a prefix of the wanted one.
func referenceJSONLocate(data []byte, path string) int {
	best, bestLen := 0, -1
	walkJSON(data, func(p string) bool { return isPathPrefix(p, path) }, func(v jsonValue) bool {
		if !isPathPrefix(v.path, path) || len(v.path) <= bestLen {
			return true
		}
		best, bestLen = v.valOff, len(v.path)
		if v.keyOff >= 0 {
			best = v.keyOff
		}
		return len(v.path) < len(path)
	})
	return best
}

// referencePosition counts lines and columns from the start of the text.
func referencePosition(text []byte, off int) (line, col int) {
	before := text[:off]
	line = strings.Count(string(before), "\n")
	start := strings.LastIndexByte(string(before), '\n') + 1
	return line, utf8.RuneCount(before[start:]) + 1
}

// TestJSONLocateMatchesReference looks up, in random order, every path of
// JSON documents (pretty-printed and on one line, with keys holding dots
// and non-ASCII text) plus paths that do not exist, and compares offsets
// and positions with the plain definitions.
func TestJSONLocateMatchesReference(t *testing.T) {
	var obj any
	list := `{"apiVersion":"v1","kind":"List","items":[` +
		`{"kind":"Pod","metadata":{"name":"é-a","labels":{"kubernetes.io/metadata.name":"x","a.b":"ü"}},"spec":{"containers":[{"name":"c","ports":[{"containerPort":80}]}]}},` +
		`{"kind":"NetworkPolicy","metadata":{"name":"np"},"spec":{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}}],"ports":[{"port":80},{"port":"web"}]}],"policyTypes":["Ingress"]}},` +
		`[],"s",1,null,{"kind":"x","items":[[1,[2,{"z":3}]]]}]}`
	require.NoError(t, json.Unmarshal([]byte(list), &obj))
	pretty, err := json.MarshalIndent(obj, "", "  ")
	require.NoError(t, err)
	texts := [][]byte{[]byte(list), pretty}
	if data, err := os.ReadFile("../../testdata/check/shop.golden.json"); err == nil {
		texts = append(texts, data)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, text := range texts {
		var paths []string
		walkJSON(text, nil, func(v jsonValue) bool {
			paths = append(paths, v.path, v.path+".missing", v.path+"[99]", v.path+"[0].x")
			return true
		})
		r.Shuffle(len(paths), func(i, j int) { paths[i], paths[j] = paths[j], paths[i] })
		d := &document{text: text, isJSON: true, startLine: 1}
		for _, p := range paths {
			off := d.jsonLocate(p)
			require.Equal(t, referenceJSONLocate(text, p), off, "path %q", p)
			loc := d.position(off)
			line, col := referencePosition(text, off)
			require.Equal(t, 1+line, loc.Line, "path %q", p)
			require.Equal(t, col, loc.Col, "path %q", p)
		}
	}
}
