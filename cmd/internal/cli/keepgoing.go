package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

// registerKeepGoing adds --keep-going to a command that reads manifests,
// and wraps the command so that errors let through by it still decide the
// exit code: the answer is printed, and the exit code says it rests on
// input with errors. Call it after the command's RunE is set.
func (f *inputFlags) registerKeepGoing(c *cobra.Command) {
	c.Flags().BoolVar(&f.keepGoing, "keep-going", false, "when the input has errors, leave out the invalid documents and files (each reported) and analyse the rest; the exit code is still 2")
	run := c.RunE
	if run == nil {
		return
	}
	c.RunE = func(cmd *cobra.Command, args []string) error {
		err := run(cmd, args)
		if f.inputErrors == 0 {
			return err
		}
		var ee *exitError
		if err != nil && (!errors.As(err, &ee) || ee.code != ExitFailed) {
			return err // a worse error of its own
		}
		if err != nil && ee.err != nil {
			printError(cmd.ErrOrStderr(), ee.err) // what the check found, before the input's errors
		}
		n := f.inputErrors
		return &exitError{code: ExitBadData, err: fmt.Errorf("%d error%s in the input: the invalid documents were left out and the rest analysed (--keep-going)", n, plural(n))}
	}
}
