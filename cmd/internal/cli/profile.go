package cli

import (
	"errors"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// profileFlags are the hidden flags that profile the whole command, for
// the engineers measuring netreach (go tool pprof FILE).
type profileFlags struct {
	cpu, mem string
	file     *os.File
}

func (p *profileFlags) register(c *cobra.Command) {
	fl := c.PersistentFlags()
	fl.StringVar(&p.cpu, "cpuprofile", "", "write a CPU profile of the command to this file")
	fl.StringVar(&p.mem, "memprofile", "", "write a memory profile (allocations since the start, heap at the end) to this file")
	_ = fl.MarkHidden("cpuprofile")
	_ = fl.MarkHidden("memprofile")
}

// start starts the CPU profile when --cpuprofile names a file.
func (p *profileFlags) start() error {
	if p.cpu == "" {
		return nil
	}
	f, err := os.Create(p.cpu)
	if err != nil {
		return usageError("--cpuprofile: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return usageError("--cpuprofile: %v", err)
	}
	p.file = f
	return nil
}

// stop ends the CPU profile started by start, if any, and writes the
// memory profile.
func (p *profileFlags) stop() error {
	var errs []error
	if p.file != nil {
		pprof.StopCPUProfile()
		if err := p.file.Close(); err != nil {
			errs = append(errs, fmt.Errorf("--cpuprofile: %w", err))
		}
		p.file = nil
	}
	if p.mem != "" {
		if err := writeHeapProfile(p.mem); err != nil {
			errs = append(errs, fmt.Errorf("--memprofile: %w", err))
		}
		p.mem = ""
	}
	return errors.Join(errs...)
}

func writeHeapProfile(name string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
