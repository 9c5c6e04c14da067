package arisim

import (
	"encoding/json"
	"errors"
	"slices"
)

// eventFilter is an application's PUT /applications/{app}/eventFilter:
// disallowed types are never sent; when allowed is not empty, only its
// types are. It lasts while the application exists, as in Asterisk.
type eventFilter struct {
	allowed, disallowed []string
}

type filterBody struct {
	Allowed    *[]struct{ Type string } `json:"allowed"`
	Disallowed *[]struct{ Type string } `json:"disallowed"`
}

// parseEventFilter applies Asterisk's rules: an empty body clears both
// lists; a list left out is kept as it was.
func parseEventFilter(body []byte, old *eventFilter) (*eventFilter, error) {
	f := &eventFilter{}
	if old != nil {
		*f = *old
	}
	if len(body) == 0 {
		return &eventFilter{}, nil
	}
	var b filterBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, errors.New("Bad request.")
	}
	types := func(in []struct{ Type string }) ([]string, error) {
		out := []string{}
		for _, t := range in {
			if t.Type == "" {
				return nil, errors.New("Bad request.")
			}
			out = append(out, t.Type)
		}
		return out, nil
	}
	var err error
	if b.Allowed != nil {
		if f.allowed, err = types(*b.Allowed); err != nil {
			return nil, err
		}
	}
	if b.Disallowed != nil {
		if f.disallowed, err = types(*b.Disallowed); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (f *eventFilter) passes(eventType string) bool {
	if f == nil {
		return true
	}
	if slices.Contains(f.disallowed, eventType) {
		return false
	}
	return len(f.allowed) == 0 || slices.Contains(f.allowed, eventType)
}

func typeList(ts []string) []obj {
	out := []obj{}
	for _, t := range ts {
		out = append(out, obj{{"type", t}})
	}
	return out
}

func (f *eventFilter) allowedJSON() []obj {
	if f == nil {
		return []obj{}
	}
	return typeList(f.allowed)
}

func (f *eventFilter) disallowedJSON() []obj {
	if f == nil {
		return []obj{}
	}
	return typeList(f.disallowed)
}

// eventType reads an event's "type".
func eventType(e obj) string {
	for _, kv := range e {
		if kv.k == "type" {
			s, _ := kv.v.(string)
			return s
		}
	}
	return ""
}
