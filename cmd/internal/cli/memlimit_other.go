//go:build !linux

package cli

import "os"

// forwardedSignals are the signals the supervisor passes on to the child.
var forwardedSignals = []os.Signal{os.Interrupt}

// memoryLimits finds no limits outside Linux.
func memoryLimits() []memoryLimit { return nil }
