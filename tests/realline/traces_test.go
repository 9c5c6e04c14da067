package realline

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/regul-sante/regul/internal/config"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/testkit/asterisktest"
	"github.com/regul-sante/regul/testkit/pgtest"
	"github.com/regul-sante/regul/testkit/sample"
)

// EnvRecordTraces, set to 1, writes the traces of TestTraces into
// testdata/ari-traces (the emulator's replay test reads them); otherwise
// they go to a temporary folder and only the behaviours are checked.
const EnvRecordTraces = "REGUL_RECORD_TRACES"

// tracePair is a line + operator without regul: the test is the ARI
// application "regul" itself, with regul's account, and records what it
// sends and receives.
type tracePair struct {
	pair *asterisktest.Pair
	ari  *asterisktest.ARI
	tr   *asterisktest.Trace
	dir  string
}

func newTracePair(t *testing.T, name string, moh map[string][]byte) *tracePair {
	t.Helper()
	pool := pgtest.New(t)
	if _, err := sample.Load(context.Background(), roster.NewStore(pool), filepath.Join("..", "..", "testdata"), sample.Options{}); err != nil {
		t.Fatal(err)
	}
	pair := asterisktest.StartPair(t, install, asterisktest.PairOptions{
		ARI:     config.ARI{Username: "regul", Password: "regul-test-secret", Application: "regul"},
		Prompts: prompts(t, roster.NewStore(pool)), MOH: moh,
	})
	tp := &tracePair{pair: pair, tr: asterisktest.NewTrace("ws"), dir: t.TempDir()}
	tp.ari = &asterisktest.ARI{Base: pair.ARI.URL, User: pair.ARI.Username, Pass: pair.ARI.Password, Trace: tp.tr}
	if os.Getenv(EnvRecordTraces) == "1" {
		tp.dir = filepath.Join("..", "..", "testdata", "ari-traces")
		if err := os.MkdirAll(tp.dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if err := tp.tr.WriteFile(filepath.Join(tp.dir, name+".jsonl")); err != nil {
			t.Error(err)
		}
	})
	return tp
}

// inbound has the operator dial the DID and returns the line's channel once
// it entered Stasis(regul) and was answered.
func (tp *tracePair) inbound(t *testing.T, ctx context.Context, ev *asterisktest.Events) (string, *asterisktest.Phone) {
	t.Helper()
	from := ev.Len()
	gpPhone, err := tp.pair.Phones.Dial(ctx, did, gpNumber)
	if err != nil {
		t.Fatal(err)
	}
	gpCalls.Add(1)
	e, _, err := ev.Wait(ctx, from, "StasisStart inbound", func(e asterisktest.Event) bool {
		return e.Type == "StasisStart" && len(e.Args) > 0 && e.Args[0] == "inbound"
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tp.ari.Do(ctx, "POST", "/channels/"+e.Channel.ID+"/answer", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := gpPhone.WaitAnswered(ctx); err != nil {
		t.Fatal(err)
	}
	return e.Channel.ID, gpPhone
}

// TestTraces records, on the real Asterisk, what the emulator must mimic.
func TestTraces(t *testing.T) {
	t.Parallel()
	t.Run("ringing on an originated PJSIP leg", traceRinging)
	t.Run("MOH with an empty moh folder", traceEmptyMOH)
	t.Run("Stasis with no application connected", traceStasisNoApp)
	t.Run("play right after DELETE bridge", traceDeletePlayRace)
}

// pjsip_ringing: a specialist's leg originated into the app through the
// trunk; the far end sends 180 Ringing, then answers.
func traceRinging(t *testing.T) {
	t.Parallel()
	tp := newTracePair(t, "pjsip_ringing", nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ev, err := tp.ari.Listen(ctx, "regul", false)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	tp.tr.Note("GP calls %s through the trunk: Stasis(regul,inbound,%s); answer", did, did)
	gpLine, _ := tp.inbound(t, ctx, ev)
	tp.tr.Note("originate PJSIP/%s@trunk into regul; the far end rings (180) then answers 1 s later", martin)
	opFrom, from := tp.pair.Phones.Events.Len(), ev.Len()
	q := url.Values{"endpoint": {"PJSIP/" + martin + "@trunk"}, "app": {"regul"}, "appArgs": {"dialed,trace-1"},
		"callerId": {did}, "timeout": {"20"}, "channelId": {"trace-leg-1"}}
	if err := tp.ari.Do(ctx, "POST", "/channels", q, nil); err != nil {
		t.Fatal(err)
	}
	spec, err := tp.pair.Phones.Incoming(ctx, opFrom, martin)
	if err != nil {
		t.Fatal(err)
	}
	legs.Add(1)
	if err := spec.Ring(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ev.Wait(ctx, from, "Ringing on the leg", func(e asterisktest.Event) bool {
		return e.Type == "ChannelStateChange" && e.ChannelID() == "trace-leg-1" && e.Channel.State == "Ringing"
	}); err != nil {
		t.Fatal(err)
	}
	if err := spec.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ev.Wait(ctx, from, "StasisStart of the leg", asterisktest.Of("StasisStart", "trace-leg-1")); err != nil {
		t.Fatal(err)
	}
	tp.tr.Note("hang both up")
	for _, id := range []string{"trace-leg-1", gpLine} {
		if err := tp.ari.Do(ctx, "DELETE", "/channels/"+id, nil, nil); err != nil {
			t.Fatal(err)
		}
		// A channel that entered Stasis from the dialplan gets no
		// ChannelDestroyed without subscribeAll: StasisEnd is its last event.
		if _, _, err := ev.Wait(ctx, from, "channel gone", func(e asterisktest.Event) bool {
			return e.ChannelID() == id && (e.Type == "ChannelDestroyed" || e.Type == "StasisEnd")
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// moh_empty_folder: POST /channels/{id}/moh on an Asterisk whose moh folder
// is empty answers 204 and nothing is heard: no event, no error.
func traceEmptyMOH(t *testing.T) {
	t.Parallel()
	tp := newTracePair(t, "moh_empty_folder", nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ev, err := tp.ari.Listen(ctx, "regul", false)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	tp.tr.Note("the moh folder is empty: at start res_musiconhold logged 'No music on hold classes configured, disabling music on hold'")
	gpLine, gpPhone := tp.inbound(t, ctx, ev)
	if err := gpPhone.Record(ctx, "moh"); err != nil {
		t.Fatal(err)
	}
	tp.tr.Note("start MOH (default class), then class 'default' by name; the GP's phone records what it hears for 3 s")
	if err := tp.ari.Do(ctx, "POST", "/channels/"+gpLine+"/moh", nil, nil); err != nil {
		t.Fatalf("MOH start refused with an error (the trace says it is silently accepted): %v", err)
	}
	if err := tp.ari.Do(ctx, "POST", "/channels/"+gpLine+"/moh", url.Values{"mohClass": {"default"}}, nil); err != nil {
		t.Fatalf("MOH start refused with an error: %v", err)
	}
	// Three seconds of what the phone hears, timed by Asterisk's own
	// recording limit (no sleep in the test).
	tp.tr.Note("a 3 s playback of silence on the operator side bounds the listening")
	done := tp.pair.Phones.Events.Len()
	if err := tp.pair.Phones.ARI.Do(ctx, "POST", "/channels/"+gpPhone.ID+"/play", url.Values{"media": {"sound:silence/3"}, "playbackId": {"listen"}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tp.pair.Phones.Events.Wait(ctx, done, "3 s listened", asterisktest.Of("PlaybackFinished", gpPhone.ID)); err != nil {
		t.Fatal(err)
	}
	if err := tp.ari.Do(ctx, "DELETE", "/channels/"+gpLine+"/moh", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := tp.ari.Do(ctx, "DELETE", "/channels/"+gpLine, nil, nil); err != nil {
		t.Fatal(err)
	}
	wav, _, err := tp.pair.Phones.WaitRecorded(ctx, "moh")
	if err != nil {
		t.Fatal(err)
	}
	length, _ := asterisktest.Duration(wav)
	silence, _, err := asterisktest.LongestSilence(wav, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	tp.tr.Note("the GP heard %v of audio, of which the longest silence was %v", length.Round(10*time.Millisecond), silence.Round(10*time.Millisecond))
	if silence < length-time.Second {
		t.Errorf("with an empty moh folder the GP heard something: %v silent of %v", silence, length)
	}
}

// stasis_no_app: nobody holds the "regul" WebSocket; an observer with
// subscribeAll sees the call hit Stasis(regul), fail at once with
// STASISSTATUS=FAILED, and go on in the dialplan (the fallback message).
func traceStasisNoApp(t *testing.T) {
	t.Parallel()
	tp := newTracePair(t, "stasis_no_app", nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tp.tr.Note("no websocket for 'regul'; this one is app=observer with subscribeAll")
	ev, err := tp.ari.Listen(ctx, "observer", true)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	if err := tp.ari.Do(ctx, "GET", "/applications/regul", nil, nil); !asterisktest.IsStatus(err, 404) {
		t.Errorf("GET /applications/regul with no websocket: %v, want 404", err)
	}
	tp.tr.Note("GP calls %s", did)
	gpPhone, err := tp.pair.Phones.Dial(ctx, did, gpNumber)
	if err != nil {
		t.Fatal(err)
	}
	gpCalls.Add(1)
	if _, err := gpPhone.WaitEnded(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ev.Wait(ctx, 0, "STASISSTATUS=FAILED", func(e asterisktest.Event) bool {
		return e.Type == "ChannelVarset" && e.Variable == "STASISSTATUS" && e.Value == "FAILED"
	}); err != nil {
		t.Error(err)
	}
	if _, _, err := ev.Wait(ctx, 0, "the fallback's hang-up", func(e asterisktest.Event) bool {
		return e.Type == "ChannelDestroyed" && e.Channel != nil && e.Channel.Caller.Number == gpNumber
	}); err != nil {
		t.Error(err)
	}
}

// bridge_delete_play_race: GP and specialist bridged; the GP hangs up; as
// soon as the app sees it, it deletes the bridge and plays the outcome menu
// to the specialist, as regul did. Calls repeat until a play is lost (no
// PlaybackStarted, GET /playbacks/{id} 404) or 30 tries.
func traceDeletePlayRace(t *testing.T) {
	t.Parallel()
	tp := newTracePair(t, "bridge_delete_play_race", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ev, err := tp.ari.Listen(ctx, "regul", false)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	lost := 0
	tries := 0
	for tries < 30 && lost == 0 {
		tries++
		if raceOnce(t, ctx, tp, ev, tries) {
			lost++
		}
	}
	tp.tr.Note("%d of %d plays lost", lost, tries)
	t.Logf("bridge delete then play: %d of %d plays lost", lost, tries)
}

// raceOnce runs one bridged call to the race and says whether the play was lost.
func raceOnce(t *testing.T, ctx context.Context, tp *tracePair, ev *asterisktest.Events, n int) bool {
	t.Helper()
	tp.tr.Note("try %d: GP in, specialist leg answered, both in a mixing bridge", n)
	gpLine, gpPhone := tp.inbound(t, ctx, ev)
	leg, bridge, pb := fmt.Sprintf("race-leg-%d", n), fmt.Sprintf("race-bridge-%d", n), fmt.Sprintf("race-play-%d", n)
	opFrom, from := tp.pair.Phones.Events.Len(), ev.Len()
	q := url.Values{"endpoint": {"PJSIP/" + martin + "@trunk"}, "app": {"regul"}, "appArgs": {"dialed"},
		"callerId": {did}, "timeout": {"20"}, "channelId": {leg}}
	if err := tp.ari.Do(ctx, "POST", "/channels", q, nil); err != nil {
		t.Fatal(err)
	}
	spec, err := tp.pair.Phones.Incoming(ctx, opFrom, martin)
	if err != nil {
		t.Fatal(err)
	}
	legs.Add(1)
	if err := spec.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ev.Wait(ctx, from, "leg in Stasis", asterisktest.Of("StasisStart", leg)); err != nil {
		t.Fatal(err)
	}
	if err := tp.ari.Do(ctx, "POST", "/bridges/"+bridge, url.Values{"type": {"mixing"}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := tp.ari.Do(ctx, "POST", "/bridges/"+bridge+"/addChannel", url.Values{"channel": {gpLine + "," + leg}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ev.Wait(ctx, from, "leg bridged", asterisktest.Of("ChannelEnteredBridge", leg)); err != nil {
		t.Fatal(err)
	}
	tp.tr.Note("try %d: the GP hangs up (far side); on its ChannelHangupRequest: DELETE the bridge, then play to the specialist at once", n)
	from = ev.Len()
	if err := gpPhone.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ev.Wait(ctx, from, "GP hang-up", asterisktest.Of("ChannelHangupRequest", gpLine)); err != nil {
		t.Fatal(err)
	}
	if err := tp.ari.Do(ctx, "DELETE", "/bridges/"+bridge, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := tp.ari.Do(ctx, "POST", "/channels/"+leg+"/play", url.Values{"media": {"sound:regul/suite-menu"}, "playbackId": {pb}}, nil); err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_, _, err = ev.Wait(waitCtx, from, "PlaybackStarted", func(e asterisktest.Event) bool {
		return e.Type == "PlaybackStarted" && e.Playback != nil && e.Playback.ID == pb
	})
	cancel()
	lost := err != nil
	if lost {
		tp.tr.Note("try %d: no PlaybackStarted within 2 s; GET the playback", n)
		_ = tp.ari.Do(ctx, "GET", "/playbacks/"+pb, nil, nil)
	}
	from = ev.Len()
	if err := tp.ari.Do(ctx, "DELETE", "/channels/"+leg, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ev.Wait(ctx, from, "leg destroyed", asterisktest.Of("ChannelDestroyed", leg)); err != nil {
		t.Fatal(err)
	}
	return lost
}
