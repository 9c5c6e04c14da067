package realline

import (
	"context"
	"testing"
	"time"

	"github.com/regul-sante/regul/testkit/asterisktest"
)

// While the hunt runs, the GP never hears more than 2 s of silence: with
// hold music installed, and on an Asterisk whose moh folder is empty (it
// then refuses every music-on-hold start, silently). The GP's audio is
// recorded on the operator's side, what the phone really received.
//
// The empty-folder case needs the lead's hold fix (regul's own confirmed
// hold sound, regul/attente or a tone: fallback, instead of MOH).
func TestNoSilenceWhileTheHuntRuns(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []rigOption
	}{{"moh folder filled", nil}, {"moh folder empty", []rigOption{emptyMOH()}}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, tc.opts...)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			opFrom := r.pair.Phones.Events.Len()
			g := r.dial(ctx, did, gpNumber)
			if err := g.phone.Record(ctx, "gp"); err != nil {
				t.Fatal(err)
			}
			g.asksCardiology(ctx, gpRPPS)
			// Every phone rings out: the hunt lasts 3 × 5 s.
			for _, n := range []string{martin, bernard, hospital} {
				s := r.rung(ctx, n, opFrom, g.cursor)
				if err := s.phone.Ring(ctx); err != nil {
					t.Fatal(err)
				}
			}
			g.hears(ctx, "personne-joint")
			if err := g.phone.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			wav, recStart, err := r.pair.Phones.WaitRecorded(ctx, "gp")
			if err != nil {
				t.Fatal(err)
			}
			from, to := huntWindow(t, r.pair.Monitor, g.line)
			silence, at, err := asterisktest.LongestSilence(wav, from.Sub(recStart), to.Sub(recStart))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("hunt of %v: longest silence %v", to.Sub(from), silence)
			if silence > 2*time.Second {
				t.Errorf("the GP heard %v of silence during the hunt (%v after it began)", silence, at-from.Sub(recStart))
			}
		})
	}
}

// huntWindow is when the hunt ran, by the line's own clock: from the end of
// "recherche" to the start of "personne-joint".
func huntWindow(t *testing.T, ev *asterisktest.Events, line string) (from, to time.Time) {
	t.Helper()
	for _, e := range ev.All() {
		if e.ChannelID() != line || e.Playback == nil {
			continue
		}
		switch {
		case e.Type == "PlaybackFinished" && from.IsZero() && e.Playback.MediaURI == "sound:regul/recherche":
			from = e.Time()
		case e.Type == "PlaybackStarted" && e.Playback.MediaURI == "sound:regul/personne-joint":
			to = e.Time()
		}
	}
	if from.IsZero() || to.IsZero() || !to.After(from) {
		t.Fatalf("no hunt window on the line: recherche ended %v, personne-joint began %v", from, to)
	}
	return from, to
}
