package cli

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// profileFlags are the hidden flags that profile the whole command, for
// the engineers measuring netreach (go tool pprof FILE).
type profileFlags struct {
	cpu  string
	file *os.File
}

func (p *profileFlags) register(c *cobra.Command) {
	fl := c.PersistentFlags()
	fl.StringVar(&p.cpu, "cpuprofile", "", "write a CPU profile of the command to this file")
	_ = fl.MarkHidden("cpuprofile")
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

// stop ends the CPU profile started by start, if any.
func (p *profileFlags) stop() error {
	if p.file == nil {
		return nil
	}
	pprof.StopCPUProfile()
	err := p.file.Close()
	p.file = nil
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	return nil
}
