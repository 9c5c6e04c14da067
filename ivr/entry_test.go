package ivr

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func entryLeg(tokens string) *fakeLeg {
	l := newFakeLeg("leg", newFakeClock(time.Unix(0, 0)), nil, nil)
	l.tokens = []byte(tokens)
	return l
}

var testKeypad = keypad{first: 10 * time.Second, inter: 5 * time.Second}

func TestReadEntry(t *testing.T) {
	tests := []struct {
		tokens  string
		want    string
		problem entryProblem
		hangup  bool
	}{
		{tokens: "10003000014#", want: "10003000014"},
		{tokens: "10003000014", want: "10003000014"}, // the inter-digit timeout ends it
		{tokens: "123*10003000014#", want: "10003000014"},
		{tokens: "*#", problem: entryEmpty},
		{tokens: "#", problem: entryEmpty},
		{tokens: "", problem: entryNothing},
		{tokens: "T10003000014#", problem: entryNothing},
		{tokens: "123*", problem: entryNothing}, // a restart then silence
		{tokens: "1234567890123#", problem: entryTooLong},
		{tokens: "1234567890123*42#", want: "42"},
		{tokens: strings.Repeat("*", 70), problem: entryTooLong},
		{tokens: "12H", hangup: true},
	}
	for _, tc := range tests {
		t.Run(tc.tokens, func(t *testing.T) {
			got, err := readEntry(context.Background(), entryLeg(tc.tokens), 12, testKeypad)
			var ee *entryError
			switch {
			case tc.hangup:
				if !errors.Is(err, ErrHangup) {
					t.Errorf("err %v, want a hangup", err)
				}
			case tc.problem != 0:
				if !errors.As(err, &ee) || ee.problem != tc.problem {
					t.Errorf("got %q, %v; want problem %d", got, err, tc.problem)
				}
			case err != nil || got != tc.want:
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestReadEntryTimeouts(t *testing.T) {
	l := entryLeg("12*3")
	if got, err := readEntry(context.Background(), l, 12, testKeypad); err != nil || got != "3" {
		t.Fatalf("got %q, %v", got, err)
	}
	want := []time.Duration{10 * time.Second, 5 * time.Second, 5 * time.Second, 10 * time.Second, 5 * time.Second}
	expectSeq(t, "waits", l.waits, want)
}

func TestReadEntryStopsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	cause := errors.New("server stopping")
	cancel(cause)
	if _, err := readEntry(ctx, entryLeg("123#"), 12, testKeypad); !errors.Is(err, cause) {
		t.Errorf("err %v, want the context's cause", err)
	}
}

// FuzzReadEntry feeds any keypad sequence: the entry always ends, within
// the key bound, with digits only and of a legal length, or a retype.
func FuzzReadEntry(f *testing.F) {
	for _, seed := range []string{"10003000014#", "*#", "", "1234567890123#", "1*2*3#", "12T", "####", "T"} {
		f.Add(seed)
	}
	const alphabet = "0123456789*#T"
	f.Fuzz(func(t *testing.T, raw string) {
		var b strings.Builder
		for i := 0; i < len(raw); i++ {
			b.WriteByte(alphabet[int(raw[i])%len(alphabet)])
		}
		tokens := b.String()
		l := entryLeg(tokens)
		got, err := readEntry(context.Background(), l, 12, testKeypad)
		if len(l.waits) > maxKeysPerEntry+1 {
			t.Fatalf("%d reads for one entry", len(l.waits))
		}
		var ee *entryError
		if err != nil {
			if !errors.As(err, &ee) {
				t.Fatalf("tokens %q: unexpected error %v", tokens, err)
			}
			return
		}
		if len(got) == 0 || len(got) > 12 || strings.Trim(got, "0123456789") != "" {
			t.Fatalf("tokens %q: entry %q", tokens, got)
		}
		if !strings.Contains(tokens, got) {
			t.Fatalf("tokens %q: entry %q was never typed in a row", tokens, got)
		}
	})
}
