package arisim

import (
	"bytes"
	"encoding/json"
	"time"
)

// obj is a JSON object that keeps its keys in insertion order, so events and
// resources go out with Asterisk's key order (clients should not care, people
// diffing traces do).
type obj []kv

type kv struct {
	k string
	v any
}

func (o obj) with(k string, v any) obj { return append(o, kv{k, v}) }

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(p.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(p.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// astTime formats like Asterisk: 2026-11-23T08:10:02.764+0000.
func astTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

func (c *channel) json() obj {
	return obj{
		{"id", c.id}, {"name", c.name}, {"state", c.state}, {"protocol_id", ""},
		{"caller", obj{{"name", c.caller.Name}, {"number", c.caller.Number}}},
		{"connected", obj{{"name", c.connected.Name}, {"number", c.connected.Number}}},
		{"accountcode", ""},
		{"dialplan", obj{{"context", c.context}, {"exten", c.exten}, {"priority", c.priority}, {"app_name", c.appName}, {"app_data", c.appData}}},
		{"creationtime", astTime(c.created)}, {"language", c.lang},
	}
}

func (b *bridge) json() obj {
	ids := make([]string, 0, len(b.members))
	for _, c := range b.members {
		ids = append(ids, c.id)
	}
	return obj{
		{"id", b.id}, {"technology", b.technology()}, {"bridge_type", b.typ}, {"bridge_class", "stasis"},
		{"creator", "Stasis"}, {"name", b.name}, {"channels", ids},
		{"creationtime", astTime(b.created)}, {"video_mode", "talker"},
	}
}

func (p *playback) json() obj {
	return obj{{"id", p.id}, {"media_uri", p.media}, {"target_uri", p.target}, {"language", p.lang}, {"state", p.state}}
}

// causeText is Asterisk's ast_cause2str for the causes the emulator produces.
func causeText(cause int) string {
	switch cause {
	case 0:
		return "Unknown"
	case 1:
		return "Unallocated (unassigned) number"
	case 3:
		return "No route to destination"
	case 16:
		return "Normal Clearing"
	case 17:
		return "User busy"
	case 18:
		return "No user responding"
	case 19:
		return "User alerting, no answer"
	case 21:
		return "Call Rejected"
	case 27:
		return "Destination out of order"
	case 28:
		return "Invalid number format (incomplete number)"
	case 34:
		return "Circuit/channel congestion"
	case 38:
		return "Network out of order"
	case 41:
		return "Temporary failure"
	default:
		return "Unknown"
	}
}

// hangupReasons maps DELETE /channels/{id}?reason= to a cause (ari channels.json).
var hangupReasons = map[string]int{
	"normal": 16, "busy": 17, "congestion": 34, "no_answer": 19, "timeout": 19, "rejected": 21,
	"unallocated": 1, "normal_unspecified": 31, "number_incomplete": 28, "codec_mismatch": 58,
	"interworking": 127, "failure": 38, "answered_elsewhere": 26,
}
