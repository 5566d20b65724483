//go:build unix

package policy

import (
	"io/fs"
	"syscall"
)

// idOf returns the device and inode of a file.
func idOf(info fs.FileInfo) (fileID, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{uint64(st.Dev), uint64(st.Ino)}, true //nolint:unconvert // the field types differ between platforms
}
