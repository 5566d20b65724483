package policy

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// fileID identifies a directory on its device, to notice a directory
// reached a second time through symbolic links.
type fileID struct{ dev, ino uint64 }

// dirWalker lists the manifest files under a directory given to
// [Loader.AddPath].
type dirWalker struct {
	l     *Loader
	seen  map[fileID]string // directories read, with the path they were read as
	files []string
	depth int
}

// maxWalkDepth bounds the nesting of directories read, where a link loop
// cannot be recognised by the identity of the directories.
const maxWalkDepth = 256

// walk lists the directory at path, whose (followed) FileInfo is info:
// hidden entries below the top are skipped, symbolic links are followed,
// and entries that are neither directories nor regular files are skipped
// with a warning.
func (w *dirWalker) walk(path string, info fs.FileInfo) {
	w.depth++
	defer func() { w.depth-- }()
	if w.depth > maxWalkDepth {
		w.l.add(Diagnostic{Severity: Warning, Location: Location{File: path},
			Msg: fmt.Sprintf("skipped: directories nested more than %d deep (a loop of symbolic links?)", maxWalkDepth)})
		return
	}
	if id, ok := idOf(info); ok {
		if first, dup := w.seen[id]; dup {
			w.l.add(Diagnostic{Severity: Warning, Location: Location{File: path},
				Msg: "skipped: this directory was already read as " + first + " (a symbolic link leads back to it)"})
			return
		}
		w.seen[id] = path
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		w.l.errorf(Location{File: path}, "%v", unwrapPathError(err))
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		p := filepath.Join(path, e.Name())
		if strings.HasPrefix(e.Name(), ".") && e.IsDir() {
			continue
		}
		mode := e.Type()
		if mode&fs.ModeSymlink != 0 {
			target, err := os.Stat(p)
			if err != nil {
				if isManifestName(e.Name()) {
					w.l.errorf(Location{File: p}, "%v", unwrapPathError(err))
				}
				continue
			}
			if target.IsDir() {
				if !strings.HasPrefix(e.Name(), ".") {
					w.walk(p, target)
				}
				continue
			}
			mode = target.Mode().Type()
		}
		switch {
		case mode.IsDir():
			sub, err := os.Stat(p)
			if err != nil {
				w.l.errorf(Location{File: p}, "%v", unwrapPathError(err))
				continue
			}
			w.walk(p, sub)
		case !isManifestName(e.Name()):
		case mode.IsRegular():
			w.files = append(w.files, p)
		default:
			w.l.add(Diagnostic{Severity: Warning, Location: Location{File: p},
				Msg: "skipped: not a regular file (" + describeMode(mode) + "); reading it could block or never end, give it with -f on its own to read it"})
		}
	}
}

// describeMode names a kind of special file.
func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return m.String()
}
