package ivr

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// entryProblem says what was wrong with a keypad entry.
type entryProblem int

const (
	entryNothing entryProblem = iota + 1 // no key at all before the first-digit timeout
	entryEmpty                           // '#' with no digit before it
	entryTooLong                         // more digits than the entry holds
)

// entryError is a keypad entry the caller must retype.
type entryError struct{ problem entryProblem }

func (e *entryError) Error() string {
	switch e.problem {
	case entryNothing:
		return "no key typed"
	case entryEmpty:
		return "'#' with no digit"
	default:
		return "too many digits"
	}
}

// maxKeysPerEntry bounds an entry however the caller plays with '*', so a
// stuck or hostile keypad cannot keep the script in one entry forever.
const maxKeysPerEntry = 64

// keypad is the timing of an entry.
type keypad struct {
	first, inter time.Duration
}

// readEntry collects digits up to '#' following the keypad conventions:
// the first key is awaited for k.first, the next ones for k.inter; '*'
// clears the entry and starts over; the inter-digit timeout ends an entry
// as '#' would (a caller who forgets '#' is not punished). It returns the
// digits typed, an *entryError for an entry to retype, or the leg's error
// (hangup, cancellation).
func readEntry(ctx context.Context, leg Leg, maxLen int, k keypad) (string, error) {
	var digits []byte
	overflow := false
	wait := k.first
entry:
	for keys := 0; ; keys++ {
		if keys == maxKeysPerEntry {
			return "", &entryError{problem: entryTooLong}
		}
		d, err := leg.ReadDigit(ctx, wait)
		if errors.Is(err, ErrDigitTimeout) {
			if len(digits) == 0 && !overflow {
				return "", &entryError{problem: entryNothing}
			}
			break entry
		}
		if err != nil {
			return "", err
		}
		switch {
		case d == '#':
			if len(digits) == 0 && !overflow {
				return "", &entryError{problem: entryEmpty}
			}
			break entry
		case d == '*':
			digits, overflow, wait = digits[:0], false, k.first
		case d >= '0' && d <= '9':
			if len(digits) == maxLen {
				overflow = true
			} else {
				digits = append(digits, d)
			}
			wait = k.inter
		default:
			return "", fmt.Errorf("leg %s gave key %q", leg.ID(), d)
		}
	}
	if overflow {
		return "", &entryError{problem: entryTooLong}
	}
	return string(digits), nil
}

// readChoice reads one key for a menu, waiting at most timeout. ok is false
// when no key came.
func readChoice(ctx context.Context, leg Leg, timeout time.Duration) (key byte, ok bool, err error) {
	d, err := leg.ReadDigit(ctx, timeout)
	if errors.Is(err, ErrDigitTimeout) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return d, true, nil
}
