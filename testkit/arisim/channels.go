package arisim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.uber.org/zap"
)

func (s *Server) listChannels() []obj {
	out := make([]obj, 0, len(s.channels))
	ids := make([]string, 0, len(s.channels))
	for id, c := range s.channels {
		if c.visible {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		out = append(out, s.channels[id].json())
	}
	return out
}

func (s *Server) routeChannels(method string, seg []string, p params) (int, any, *apiError) {
	if len(seg) == 0 {
		switch method {
		case "GET":
			return 200, s.listChannels(), nil
		case "POST":
			return s.restOriginate(p.get("channelId"), p)
		}
		return 0, nil, errMethod
	}
	id := seg[0]
	c := s.channels[id]
	if len(seg) == 1 {
		switch method {
		case "POST":
			return s.restOriginate(id, p)
		case "GET":
			if c == nil {
				return 0, nil, errMsg(404, "Channel not found")
			}
			return 200, c.json(), nil
		case "DELETE":
			if c == nil {
				return 0, nil, errMsg(404, "Channel not found")
			}
			cause, e := hangupCause(p)
			if e != nil {
				return 0, nil, e
			}
			s.hangup(c, cause, true, "app")
			return 204, nil, nil
		}
		return 0, nil, errMethod
	}
	if c == nil {
		return 0, nil, errMsg(404, "Channel not found")
	}
	op := seg[1]
	inStasis := func() *apiError {
		if c.stasisApp == "" {
			return errMsg(409, "Channel not in Stasis application")
		}
		return nil
	}
	switch {
	case op == "answer" && method == "POST":
		if e := inStasis(); e != nil {
			return 0, nil, e
		}
		s.answerChannel(c)
		return 204, nil, nil
	case op == "ring" && (method == "POST" || method == "DELETE"):
		if e := inStasis(); e != nil {
			return 0, nil, e
		}
		if method == "POST" && c.ph != nil {
			c.ph.note(EntryRinging, "")
		}
		return 204, nil, nil
	case op == "play" && method == "POST":
		if e := inStasis(); e != nil {
			return 0, nil, e
		}
		pbID := p.get("playbackId")
		if len(seg) > 2 {
			pbID = seg[2]
		}
		return s.restPlay(pbID, p, c, nil)
	case op == "dtmf" && method == "POST":
		if e := inStasis(); e != nil {
			return 0, nil, e
		}
		d := p.get("dtmf")
		if d == "" {
			return 0, nil, errMsg(400, "DTMF is required")
		}
		if c.ph != nil {
			for _, r := range d {
				c.ph.note(EntryDTMF, string(r))
			}
		}
		return 204, nil, nil
	case op == "moh" && (method == "POST" || method == "DELETE"):
		if e := inStasis(); e != nil {
			return 0, nil, e
		}
		on := method == "POST"
		if c.moh != on && c.ph != nil && !s.opts.NoMOHClasses {
			if on {
				c.ph.note(EntryMOHStart, p.get("mohClass"))
			} else {
				c.ph.note(EntryMOHStop, "")
			}
		}
		c.moh = on
		return 204, nil, nil
	case op == "variable" && method == "GET":
		name := p.get("variable")
		if name == "" {
			return 0, nil, errMsg(400, "Variable name is required")
		}
		v, ok := c.vars[name]
		if !ok {
			return 0, nil, errMsg(404, "Provided variable was not found")
		}
		return 200, obj{{"value", v}}, nil
	case op == "variable" && method == "POST":
		name := p.get("variable")
		if name == "" {
			return 0, nil, errMsg(400, "Variable name is required")
		}
		if !s.faults.loseVariables[name] {
			c.vars[name] = p.get("value")
		}
		return 204, nil, nil
	case op == "continue" && method == "POST":
		if e := inStasis(); e != nil {
			return 0, nil, e
		}
		// The emulated dialplan after Stasis is Hangup().
		s.leaveAll(c, 16)
		s.hangup(c, 16, false, "dialplan")
		return 204, nil, nil
	case (op == "hold" || op == "mute" || op == "silence") && (method == "POST" || method == "DELETE"):
		if e := inStasis(); e != nil {
			return 0, nil, e
		}
		return 204, nil, nil
	}
	if method != "GET" && method != "POST" && method != "DELETE" {
		return 0, nil, errMethod
	}
	return 0, nil, errMsg(404, "Resource not found")
}

func hangupCause(p params) (int, *apiError) {
	reason, code := p.get("reason"), p.get("reason_code")
	if reason != "" && code != "" {
		return 0, errMsg(400, "The reason and reason_code can't both be specified")
	}
	if code != "" {
		n, err := strconv.Atoi(code)
		if err != nil {
			return 0, errMsg(400, "Invalid reason_code")
		}
		return n, nil
	}
	if reason == "" {
		return 16, nil
	}
	cause, ok := hangupReasons[reason]
	if !ok {
		return 0, errMsg(400, "Invalid reason for hangup reason provided")
	}
	return cause, nil
}

func (s *Server) restOriginate(id string, p params) (int, any, *apiError) {
	if e := s.faults.restErr(); e != nil {
		return 0, nil, e
	}
	ep := p.get("endpoint")
	if ep == "" {
		return 0, nil, errMsg(400, "Endpoint must be specified")
	}
	r := originateReq{id: id, endpoint: ep, app: p.get("app"), context: p.get("context"), exten: p.get("extension"),
		timeout: parseSeconds(p.get("timeout")), vars: p.vars}
	if a := p.get("appArgs"); a != "" {
		r.args = strings.Split(a, ",")
	} else if r.app != "" {
		r.args = []string{}
	}
	if cid := p.get("callerId"); cid != "" {
		r.callerID = parseCallerID(cid)
	}
	c, e := s.originate(r)
	if e != nil {
		return 0, nil, e
	}
	return 200, c.json(), nil
}

// parseCallerID reads `"Name" <number>` or a bare number.
func parseCallerID(v string) Party {
	if i := strings.Index(v, "<"); i >= 0 && strings.HasSuffix(v, ">") {
		return Party{Name: strings.Trim(strings.TrimSpace(v[:i]), `"`), Number: v[i+1 : len(v)-1]}
	}
	return Party{Number: v}
}

func (s *Server) newPlaybackID() string {
	s.bridgeSeq++
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", s.epoch&0xffffffff, s.bridgeSeq)
}

func (s *Server) restPlay(id string, p params, c *channel, b *bridge) (int, any, *apiError) {
	media := p.get("media")
	if media == "" {
		return 0, nil, errMsg(400, "Media must be specified")
	}
	if id == "" {
		id = s.newPlaybackID()
	} else if s.playbacks[id] != nil {
		return 0, nil, errMsg(409, "Playback with given id already exists")
	}
	lang := p.get("lang")
	if lang == "" {
		lang = s.opts.Language
	}
	pb := &playback{id: id, media: media, lang: lang, state: "queued", ch: c, br: b}
	if c != nil {
		pb.target = "channel:" + c.id
	} else {
		pb.target = "bridge:" + b.id
	}
	resp := pb.json()
	if c != nil && (c.leaving != nil || s.faults.losePlays > 0) {
		if c.leaving == nil {
			s.faults.losePlays--
		}
		s.opts.Logger.Debug("play lost (channel leaving a destroyed bridge, or LosePlays)", zap.String("channel", c.id), zap.String("playback", id))
		return 201, resp, nil
	}
	s.enqueuePlay(pb)
	return 201, resp, nil
}
