//go:build linux

package main

import (
	"os"
	"os/signal"
	"syscall"
	"unsafe"
)

// takeTerminal makes the demo the terminal's foreground process group when
// it was started inside someone else's group (`make demo`), so that Ctrl-C
// reaches the demo alone: it stops cleanly and exits 0, and make, not
// interrupted, exits 0 too (instead of 130). The returned function gives
// the terminal back. Outside a terminal, or already leading its group
// (started from a shell), it does nothing.
func takeTerminal() (restore func()) {
	nothing := func() {}
	fd := os.Stdin.Fd()
	var fg int32
	if ioctl(fd, syscall.TIOCGPGRP, &fg) != nil {
		return nothing // not a terminal
	}
	pgrp := syscall.Getpgrp()
	if pgrp == syscall.Getpid() || int(fg) != pgrp {
		return nothing // our own group already, or not in the foreground
	}
	// A background group may change the foreground only with SIGTTOU
	// ignored.
	signal.Ignore(syscall.SIGTTOU)
	if syscall.Setpgid(0, 0) != nil {
		return nothing
	}
	me := int32(syscall.Getpid())
	if ioctl(fd, syscall.TIOCSPGRP, &me) != nil {
		_ = syscall.Setpgid(0, pgrp)
		return nothing
	}
	return func() { _ = ioctl(fd, syscall.TIOCSPGRP, &fg) }
}

func ioctl(fd uintptr, req uint, pgrp *int32) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, uintptr(req), uintptr(unsafe.Pointer(pgrp))); e != 0 {
		return e
	}
	return nil
}
