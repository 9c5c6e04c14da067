package bridge

import (
	"encoding/json"
	"fmt"
	"strings"
)

// event is the part of an ARI event the bridge acts on. Decoding into this
// one flat type never yields a nil event and tolerates fields and event
// types it does not know (Asterisk adds some in every release).
type event struct {
	Type        string   `json:"type"`
	Application string   `json:"application"`
	Args        []string `json:"args"`
	Channel     *channel `json:"channel"`
	Peer        *channel `json:"peer"` // Dial: the channel being dialled
	Digit       string   `json:"digit"`
	Cause       int      `json:"cause"`
	CauseText   string   `json:"cause_txt"`
	Soft        bool     `json:"soft"`
	DialStatus  string   `json:"dialstatus"`
	Playback    *struct {
		ID        string `json:"id"`
		State     string `json:"state"`
		MediaURI  string `json:"media_uri"`
		TargetURI string `json:"target_uri"`
	} `json:"playback"`
	Bridge *struct {
		ID       string   `json:"id"`
		Channels []string `json:"channels"`
	} `json:"bridge"`
}

// channel is an ARI Channel object as events carry it.
type channel struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	State  string `json:"state"`
	Caller struct {
		Number string `json:"number"`
	} `json:"caller"`
	Dialplan struct {
		Context string `json:"context"`
		Exten   string `json:"exten"`
		AppName string `json:"app_name"`
	} `json:"dialplan"`
}

func decodeEvent(data []byte) (*event, error) {
	var e event
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("decode ARI event: %w", err)
	}
	if e.Type == "" {
		return nil, fmt.Errorf("decode ARI event: no type in %.80q", data)
	}
	return &e, nil
}

// channelID is the channel an event is about, "" when none.
func (e *event) channelID() string {
	switch {
	case e.Type == "Dial" && e.Peer != nil:
		return e.Peer.ID
	case e.Channel != nil:
		return e.Channel.ID
	case e.Playback != nil:
		// target_uri is "channel:<id>" for a channel's playback.
		if id, ok := strings.CutPrefix(e.Playback.TargetURI, "channel:"); ok {
			return id
		}
	}
	return ""
}
