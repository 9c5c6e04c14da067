package main

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	asteriskconfig "github.com/regul-sante/regul/asterisk-config"
	"github.com/regul-sante/regul/internal/sounds"
	"github.com/regul-sante/regul/ivr"
	"github.com/regul-sante/regul/testkit/arisim"
)

// timeline prints what every phone of a scenario experienced, merged in
// time order, with the words each person heard.
type timeline struct {
	words         map[string]string // sound URI → what is said
	soundDuration time.Duration     // how long a prompt plays uncut
}

func newTimeline(s *demoSample) (*timeline, error) {
	prompts, err := ivr.LoadPromptsYAML(bytes.NewReader(asteriskconfig.PromptCatalogue))
	if err != nil {
		return nil, err
	}
	t := &timeline{words: map[string]string{}, soundDuration: demoSoundDuration}
	for _, p := range prompts.All() {
		t.words["sound:"+p.Sound] = p.Text
	}
	t.words["sound:"+ivr.TerritorySound(s.territory.Slug)] = s.territory.Name
	for _, sp := range s.territory.Specialties {
		t.words["sound:"+ivr.SpecialtySound(s.territory.Slug, sp.Slug)] = sp.Label
	}
	for rpps, name := range s.names {
		t.words["sound:"+ivr.NameSound(rpps)] = strings.TrimPrefix(name, "Dr ")
	}
	return t, nil
}

type line struct {
	at   string
	who  string
	what string
	sort int64
}

func (t *timeline) print(out io.Writer, rep *arisim.Report) {
	var lines []line
	for _, p := range rep.Phones {
		snap := p.Snapshot()
		if len(snap.Entries) == 0 && snap.Ended == nil {
			continue
		}
		var pending []string // consecutive prompts or digits, said on one line
		pendingKind := arisim.EntryKind("")
		var pendingAt line
		var lastSound time.Time
		flush := func() {
			if len(pending) == 0 {
				return
			}
			l := pendingAt
			if pendingKind == arisim.EntrySound {
				l.what = "hears " + strings.Join(pending, " ")
			} else {
				l.what = "presses " + strings.Join(pending, "")
			}
			lines = append(lines, l)
			pending = nil
		}
		for _, e := range snap.Entries {
			at := line{at: e.At.Format("15:04:05"), who: snap.Name, sort: e.At.UnixNano()}
			switch e.Kind {
			case arisim.EntrySound, arisim.EntryPressed:
				if e.Kind == arisim.EntryPressed && pendingKind == arisim.EntrySound && len(pending) > 0 &&
					e.At.Before(lastSound.Add(t.soundDuration)) {
					// The key stopped the prompt (barge-in): say so.
					pending[len(pending)-1] += " (cut short by a key)"
				}
				if e.Kind == arisim.EntrySound {
					lastSound = e.At
				}
				if e.Kind != pendingKind {
					flush()
					pendingKind, pendingAt = e.Kind, at
				}
				if e.Kind == arisim.EntrySound {
					pending = append(pending, t.say(e.Value))
				} else {
					pending = append(pending, e.Value)
				}
				continue
			}
			flush()
			pendingKind = ""
			switch e.Kind {
			case arisim.EntryRinging:
				at.what = "phone rings"
			case arisim.EntryAnswered:
				at.what = "call answered"
			case arisim.EntryBridged:
				at.what = "is put through (bridged)"
			case arisim.EntryMOHStart:
				at.what = "hears hold music"
			default:
				continue
			}
			lines = append(lines, at)
		}
		flush()
		if snap.Ended != nil {
			by := map[string]string{"phone": "hangs up", "app": "is hung up by the line", "timeout": "stops ringing (no answer)"}[snap.Ended.By]
			if by == "" {
				by = "call ends (" + snap.Ended.By + ")"
			}
			lines = append(lines, line{at: snap.Ended.At.Format("15:04:05"), who: snap.Name, what: by, sort: snap.Ended.At.UnixNano()})
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].sort < lines[j].sort })
	for _, l := range lines {
		fmt.Fprintf(out, "  %s  %-40s %s\n", l.at, l.who, l.what)
	}
}

// say turns a media URI into the words a person hears.
func (t *timeline) say(uri string) string {
	if w, ok := t.words[uri]; ok {
		return "«" + w + "»"
	}
	if d, ok := strings.CutPrefix(uri, "digits:"); ok {
		return "«" + strings.Join(strings.Split(d, ""), " ") + "»"
	}
	if uri == "sound:"+sounds.HoldMusicSound {
		return "(hold music)"
	}
	return "[" + uri + "]"
}
