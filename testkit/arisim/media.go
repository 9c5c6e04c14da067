package arisim

import (
	"strings"
	"time"

	"github.com/regul-sante/regul/internal/clock"
)

type playback struct {
	id, media, target, lang, state string
	ch                             *channel
	br                             *bridge
	timer                          clock.Timer
}

func (p *playback) subs() map[string]bool {
	if p.ch != nil {
		return p.ch.subs
	}
	return p.br.subs
}

func (s *Server) soundDuration(uri string) time.Duration {
	if d, ok := s.opts.SoundDurations[uri]; ok {
		return d
	}
	return s.opts.DefaultSoundDuration
}

// knownScheme lists the media schemes Asterisk plays; any other is accepted
// (201, PlaybackStarted) but never finishes, as observed.
func knownScheme(uri string) bool {
	for _, p := range []string{"sound:", "recording:", "number:", "digits:", "characters:", "tone:"} {
		if strings.HasPrefix(uri, p) {
			return true
		}
	}
	return false
}

// enqueuePlay queues p on its target and starts it if the target is idle.
func (s *Server) enqueuePlay(p *playback) {
	s.playbacks[p.id] = p
	if p.ch != nil {
		p.ch.queue = append(p.ch.queue, p)
		if p.ch.playing == nil {
			s.nextPlay(p.ch, nil)
		}
		return
	}
	p.br.queue = append(p.br.queue, p)
	if p.br.playing == nil {
		s.nextPlay(nil, p.br)
	}
}

func (s *Server) nextPlay(c *channel, b *bridge) {
	var q *[]*playback
	var cur **playback
	if c != nil {
		q, cur = &c.queue, &c.playing
	} else {
		q, cur = &b.queue, &b.playing
	}
	if len(*q) == 0 {
		*cur = nil
		return
	}
	p := (*q)[0]
	*q = (*q)[1:]
	*cur = p
	p.state = "playing"
	s.emit(p.subs(), nil, obj{{"type", "PlaybackStarted"}, {"timestamp", s.ts()}, {"playback", p.json()}})
	for _, ph := range s.listeners(c, b) {
		ph.note(EntrySound, p.media)
	}
	if !knownScheme(p.media) || strings.HasPrefix(p.media, "tone:") {
		// Asterisk plays a tone until it is stopped or the channel goes.
		return
	}
	if s.opts.MissingSounds[p.media] {
		p.timer = s.clock.AfterFunc(s.opts.FailedSoundDelay, s.locked(func() { s.finishPlay(p, "failed") }))
		return
	}
	p.timer = s.clock.AfterFunc(s.soundDuration(p.media), s.locked(func() { s.finishPlay(p, "done") }))
}

func (s *Server) finishPlay(p *playback, state string) {
	if s.playbacks[p.id] != p {
		return
	}
	delete(s.playbacks, p.id)
	if p.timer != nil {
		p.timer.Stop()
	}
	p.state = state
	s.emit(p.subs(), nil, obj{{"type", "PlaybackFinished"}, {"timestamp", s.ts()}, {"playback", p.json()}})
	s.noteSoundEnd(p)
	var c *channel
	var b *bridge
	if p.ch != nil {
		c = p.ch
		if c.playing != p {
			return
		}
	} else {
		b = p.br
		if b.playing != p {
			return
		}
	}
	if state == "done" {
		for _, ph := range s.listeners(c, b) {
			ph.soundFinished(p.media)
		}
	}
	s.nextPlay(c, b)
}

// stopPlay is DELETE /playbacks/{id}, or a target that goes away.
func (s *Server) stopPlay(p *playback) {
	if p.state == "queued" {
		q := &p.br.queue
		if p.ch != nil {
			q = &p.ch.queue
		}
		for i, x := range *q {
			if x == p {
				*q = append((*q)[:i], (*q)[i+1:]...)
				break
			}
		}
		delete(s.playbacks, p.id)
		return
	}
	s.finishPlay(p, "done")
}

func (s *Server) stopMedia(c *channel) {
	for _, p := range c.queue {
		delete(s.playbacks, p.id)
	}
	c.queue = nil
	if c.playing != nil {
		p := c.playing
		c.playing = nil
		if p.timer != nil {
			p.timer.Stop()
		}
		delete(s.playbacks, p.id)
		s.noteSoundEnd(p)
		if knownScheme(p.media) {
			p.state = "done"
			s.emit(p.subs(), nil, obj{{"type", "PlaybackFinished"}, {"timestamp", s.ts()}, {"playback", p.json()}})
		}
	}
	if c.moh {
		c.moh = false
		if c.ph != nil && !s.opts.NoMOHClasses {
			c.ph.note(EntryMOHStop, "")
		}
	}
}

// noteSoundEnd tells the phones that heard p that it stopped, so that
// their reports show the silences (see PhoneReport.LongestSilence).
func (s *Server) noteSoundEnd(p *playback) {
	if p.ch != nil {
		if p.ch.ph != nil {
			p.ch.ph.note(EntrySoundEnd, p.media)
		}
		return
	}
	for _, ph := range s.listeners(nil, p.br) {
		ph.note(EntrySoundEnd, p.media)
	}
}

// listeners are the phones that hear what is played on c or in b.
func (s *Server) listeners(c *channel, b *bridge) []*phone {
	var out []*phone
	if c != nil {
		if c.ph != nil {
			out = append(out, c.ph)
		}
		return out
	}
	for _, m := range b.members {
		if m.ph != nil {
			out = append(out, m.ph)
		}
	}
	return out
}

func (s *Server) bridgeChanged(b *bridge) {}
