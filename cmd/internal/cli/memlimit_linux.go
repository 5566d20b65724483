package cli

import (
	"bufio"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
)

// forwardedSignals are the signals the supervisor passes on to the child.
var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// memoryLimits returns the hard memory limits on this process: ulimit -v
// (RLIMIT_AS) and the memory.max of its cgroup (v2) or its ancestors, or
// memory.limit_in_bytes (v1).
func memoryLimits() []memoryLimit {
	var out []memoryLimit
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &rl); err == nil && rl.Cur < 1<<62 { // RLIM_INFINITY is all ones
		out = append(out, memoryLimit{bytes: int64(rl.Cur), source: "ulimit -v", virtual: true})
	}
	if n := cgroupLimit(); n > 0 {
		out = append(out, memoryLimit{bytes: n, source: "cgroup memory limit"})
	}
	return out
}

// cgroupLimit returns the tightest cgroup memory limit on this process, or
// 0 when there is none.
func cgroupLimit() int64 {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return 0
	}
	defer f.Close()
	var best int64
	take := func(n int64) {
		if n > 0 && (best == 0 || n < best) {
			best = n
		}
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "0::/path" (v2) or "N:memory:/path" (v1).
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			for dir := path.Clean(parts[2]); ; dir = path.Dir(dir) {
				take(readLimit("/sys/fs/cgroup" + dir + "/memory.max"))
				if dir == "/" {
					break
				}
			}
		case strings.Contains(","+parts[1]+",", ",memory,"):
			for dir := path.Clean(parts[2]); ; dir = path.Dir(dir) {
				take(readLimit("/sys/fs/cgroup/memory" + dir + "/memory.limit_in_bytes"))
				if dir == "/" {
					break
				}
			}
		}
	}
	return best
}

// readLimit reads a cgroup limit file: a number of bytes, or "max" (none).
func readLimit(name string) int64 {
	b, err := os.ReadFile(name)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n <= 0 || n >= 1<<62 {
		return 0 // "max", or v1's "no limit" (a huge number)
	}
	return n
}
