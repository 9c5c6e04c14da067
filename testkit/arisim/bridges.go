package arisim

import (
	"sort"
	"strings"
)

var bridgeTypes = map[string]bool{"mixing": true, "holding": true, "dtmf_events": true, "proxy_media": true, "video_sfu": true, "video_single": true}

func (s *Server) routeBridges(method string, seg []string, p params) (int, any, *apiError) {
	if len(seg) == 0 {
		switch method {
		case "GET":
			ids := make([]string, 0, len(s.bridges))
			for id := range s.bridges {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			out := make([]obj, 0, len(ids))
			for _, id := range ids {
				out = append(out, s.bridges[id].json())
			}
			return 200, out, nil
		case "POST":
			return s.createBridge(p.get("bridgeId"), p)
		}
		return 0, nil, errMethod
	}
	b := s.bridges[seg[0]]
	if len(seg) == 1 {
		switch method {
		case "POST":
			if b != nil {
				return 200, b.json(), nil
			}
			return s.createBridge(seg[0], p)
		case "GET":
			if b == nil {
				return 0, nil, errMsg(404, "Bridge not found")
			}
			return 200, b.json(), nil
		case "DELETE":
			if b == nil {
				return 0, nil, errMsg(404, "Bridge not found")
			}
			s.destroyBridge(b)
			return 204, nil, nil
		}
		return 0, nil, errMethod
	}
	if b == nil {
		return 0, nil, errMsg(404, "Bridge not found")
	}
	switch op := seg[1]; {
	case op == "addChannel" && method == "POST":
		return s.addToBridge(b, p)
	case op == "removeChannel" && method == "POST":
		var chans []*channel
		for _, id := range strings.Split(p.get("channel"), ",") {
			c := s.channels[id]
			if c == nil {
				return 0, nil, errMsg(400, "Channel not found")
			}
			if c.bridge != b {
				return 0, nil, errMsg(422, "Channel not in this bridge")
			}
			chans = append(chans, c)
		}
		for _, c := range chans {
			s.leaveBridge(c)
		}
		return 204, nil, nil
	case op == "play" && method == "POST":
		id := p.get("playbackId")
		if len(seg) > 2 {
			id = seg[2]
		}
		return s.restPlay(id, p, nil, b)
	case op == "moh" && (method == "POST" || method == "DELETE"):
		on := method == "POST"
		if b.moh != on && !s.opts.NoMOHClasses {
			for _, ph := range s.listeners(nil, b) {
				if on {
					ph.note(EntryMOHStart, p.get("mohClass"))
				} else {
					ph.note(EntryMOHStop, "")
				}
			}
		}
		b.moh = on
		b.mohClass = p.get("mohClass")
		return 204, nil, nil
	}
	return 0, nil, errMsg(404, "Resource not found")
}

func (s *Server) createBridge(id string, p params) (int, any, *apiError) {
	typ := p.get("type")
	if typ == "" {
		typ = "mixing"
	}
	for _, t := range strings.Split(typ, ",") {
		if !bridgeTypes[t] {
			return 0, nil, errMsg(500, "Unable to create bridge. Possible duplicate bridge id '(null)'")
		}
	}
	if id == "" {
		id = s.newPlaybackID()
	}
	b := &bridge{id: id, typ: strings.Split(typ, ",")[0], name: p.get("name"), created: s.clock.Now(), subs: map[string]bool{}}
	s.bridges[id] = b
	s.emit(b.subs, nil, obj{{"type", "BridgeCreated"}, {"timestamp", s.ts()}, {"bridge", b.json()}})
	return 200, b.json(), nil
}

func (s *Server) addToBridge(b *bridge, p params) (int, any, *apiError) {
	var chans []*channel
	for _, id := range strings.Split(p.get("channel"), ",") {
		c := s.channels[id]
		if c == nil {
			return 0, nil, errMsg(400, "Channel not found")
		}
		if c.stasisApp == "" {
			return 0, nil, errMsg(422, "Channel not in Stasis application")
		}
		chans = append(chans, c)
	}
	for _, c := range chans {
		if c.bridge == b {
			continue
		}
		if c.bridge != nil {
			c.leaving = nil
			s.leaveBridge(c)
		}
		c.bridge = b
		b.members = append(b.members, c)
		b.subs[c.stasisApp] = true
		s.emit(mergeSubs(b.subs, c.subs), nil, obj{{"type", "ChannelEnteredBridge"}, {"timestamp", s.ts()}, {"bridge", b.json()}, {"channel", c.json()}})
		if c.ph != nil {
			c.ph.note(EntryBridged, b.id)
			if b.moh && !s.opts.NoMOHClasses {
				c.ph.note(EntryMOHStart, b.mohClass)
			}
		}
	}
	if len(b.members) >= 2 {
		for _, m := range b.members {
			if m.ph != nil {
				m.ph.talking()
			}
		}
	}
	return 204, nil, nil
}

func (s *Server) leaveBridge(c *channel) {
	b := c.bridge
	if b == nil {
		return
	}
	b.remove(c)
	c.bridge = nil
	s.emit(mergeSubs(b.subs, c.subs), nil, obj{{"type", "ChannelLeftBridge"}, {"timestamp", s.ts()}, {"bridge", b.json()}, {"channel", c.json()}})
	if b.moh && !s.opts.NoMOHClasses && c.ph != nil {
		c.ph.note(EntryMOHStop, "")
	}
}

// destroyBridge: members leave (they stay in Stasis), then BridgeDestroyed.
func (s *Server) destroyBridge(b *bridge) {
	for _, p := range b.queue {
		delete(s.playbacks, p.id)
	}
	b.queue = nil
	if b.playing != nil {
		s.finishPlay(b.playing, "done")
		b.queue = nil
	}
	// The bridge is gone for the REST API at once; its channels leave it a
	// little later, on Asterisk's bridge thread.
	delete(s.bridges, b.id)
	if len(b.members) == 0 {
		s.emit(b.subs, nil, obj{{"type", "BridgeDestroyed"}, {"timestamp", s.ts()}, {"bridge", b.json()}})
		return
	}
	for _, c := range b.members {
		c.leaving = b
	}
	s.clock.AfterFunc(s.opts.BridgeLeaveDelay, s.locked(func() {
		for len(b.members) > 0 {
			c := b.members[0]
			c.leaving = nil
			s.leaveBridge(c)
		}
		s.emit(b.subs, nil, obj{{"type", "BridgeDestroyed"}, {"timestamp", s.ts()}, {"bridge", b.json()}})
	}))
}
