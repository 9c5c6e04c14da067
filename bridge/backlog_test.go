package bridge

import (
	"fmt"
	"testing"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/stdbus"
)

// A subscription buffer found full (ari/v5 may have dropped an event then)
// is counted once per event read while full, and a resync mark follows the
// episode's events in order, so that dispatch resyncs after applying them.
func TestReadQueuesResyncAfterFullBacklog(t *testing.T) {
	s := newOfflineServer()
	events := make(chan ari.Event, 4)
	for i := range 4 {
		e, err := ari.DecodeEvent([]byte(dtmf(fmt.Sprintf("1795421593.%d", i), "5")))
		if err != nil {
			t.Fatal(err)
		}
		events <- e
	}
	close(events)
	q := newEventQueue()
	s.read(events, q)
	q.close()
	got := q.pop(nil)
	if len(got) != 5 {
		t.Fatalf("queued %d items, want the 4 events and a resync mark", len(got))
	}
	for i, e := range got[:4] {
		if _, ok := e.(resyncMark); ok {
			t.Fatalf("item %d is a resync mark, want the events first", i)
		}
	}
	if _, ok := got[4].(resyncMark); !ok {
		t.Fatalf("last item %T, want a resync mark", got[4])
	}
	if n := s.backlogFull.Load(); n != 1 {
		t.Errorf("backlog full counted %d times, want 1 (only the first event was read from a full buffer)", n)
	}
	if q.pop(nil) != nil {
		t.Error("closed queue still returns events")
	}
}

// An unbounded queue keeps order across pops.
func TestEventQueueOrder(t *testing.T) {
	q := newEventQueue()
	var want []string
	for i := range 1000 {
		id := fmt.Sprintf("c%d", i)
		want = append(want, id)
		q.push(&ari.ChannelDtmfReceived{Digit: id})
	}
	q.close()
	var got []string
	for b := q.pop(nil); b != nil; b = q.pop(nil) {
		for _, e := range b {
			got = append(got, e.(*ari.ChannelDtmfReceived).Digit)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("order lost: got %d events", len(got))
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
