package bridge

import (
	"testing"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/stdbus"
)

// A subscription buffer found full (ari/v5 may have dropped an event then)
// is counted once per event read while full; the events are all applied in
// order, and once the episode is over a resync from Asterisk's state runs.
func TestReadResyncsAfterFullBacklog(t *testing.T) {
	s := newOfflineServer()
	events := make(chan ari.Event, 4)
	const id = "1795421593.1"
	deliver(s, stasisStart(id, `["inbound","+33179000001"]`))
	for _, d := range []string{"1", "2", "3", "4"} {
		e, err := ari.DecodeEvent([]byte(dtmf(id, d)))
		if err != nil {
			t.Fatal(err)
		}
		events <- e
	}
	close(events)
	s.read(events)
	if n := s.backlogFull.Load(); n != 1 {
		t.Errorf("backlog full counted %d times, want 1 (only the first event was read from a full buffer)", n)
	}
	if n := s.resyncs.Load(); n != 1 {
		t.Errorf("%d resyncs after the episode, want 1", n)
	}
	if got := string(s.incoming[0].digits); got != "1234" {
		t.Errorf("digits %q, want 1234 in order", got)
	}
}

// Our subscription to ari/v5's bus gets eventBufferSize slots, not 100.
func TestBusBuffer(t *testing.T) {
	sub := stdbus.New().Subscribe(nil, ari.Events.All)
	defer sub.Cancel()
	if n := cap(sub.Events()); n != eventBufferSize {
		t.Fatalf("ari/v5 subscription buffer %d, want %d: did ari/v5's stdbus change?", n, eventBufferSize)
	}
}
