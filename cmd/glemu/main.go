// Command glemu is the one command-line tool of glemu: it runs, trains, compiles and
// benchmarks GLE networks on the chip emulator, the float reference or a board.
//
// This package stays thin: flag parsing, progress and printing. Each subcommand lives in
// its own file and registers itself with rootCmd from an init function; everything a
// command does is callable from Go through the glemu packages.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// toolVersion is the version of glemu itself; release builds override it with
// -ldflags "-X main.toolVersion=v1.2.3".
var toolVersion = "0.1.0-dev"

var rootCmd = &cobra.Command{
	Use:   "glemu",
	Short: "Emulate, compile for, and drive a GLE neuromorphic chip",
	Long: `glemu emulates a fixed-point neuromorphic chip that learns on its own with
Generalized Latent Equilibrium (GLE), compiles networks onto it, and drives boards
that implement it over a serial link.`,
	SilenceUsage:  true,
	SilenceErrors: true,
}

// usageError marks errors in how a command was called (bad flags or arguments); glemu
// exits with status 2 for them and 1 for every other failure.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func main() {
	rootCmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	if err := rootCmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "glemu:", err)
		if errors.As(err, new(usageError)) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
