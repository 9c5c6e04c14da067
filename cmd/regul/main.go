// Command regul is the regulation line: the ARI controller (serve), its
// set-up commands (migrate, territory, directory, enrol, roster) and the
// emulator-backed demo.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	// Territories' time zones (Europe/Paris, overseas ones) load on a host
	// without the tzdata package too.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := newRootCmd().ExecuteContext(ctx)
	if err != nil {
		var ec *exitCodeError
		if errors.As(err, &ec) {
			if ec.msg != "" {
				fmt.Fprintln(os.Stderr, ec.msg)
			}
			os.Exit(ec.code)
		}
		fmt.Fprintln(os.Stderr, "regul:", err)
		os.Exit(1)
	}
}

// exitCodeError ends the process with a chosen code (e.g. 3: nobody on duty).
type exitCodeError struct {
	code int
	msg  string
}

func (e *exitCodeError) Error() string { return e.msg }
