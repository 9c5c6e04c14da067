package arisim

import "testing"

func TestEventFilterRules(t *testing.T) {
	f, err := parseEventFilter([]byte(`{"allowed":[{"type":"StasisStart"},{"type":"ChannelDtmfReceived"}]}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !f.passes("StasisStart") || f.passes("ChannelVarset") {
		t.Fatal("only allowed types pass")
	}
	f, _ = parseEventFilter([]byte(`{"disallowed":[{"type":"StasisStart"}]}`), f)
	if f.passes("StasisStart") || !f.passes("ChannelDtmfReceived") || f.passes("ChannelVarset") {
		t.Fatal("disallowed wins; the allowed list is kept when left out")
	}
	if f, _ = parseEventFilter(nil, f); !f.passes("ChannelVarset") {
		t.Fatal("an empty body clears both lists")
	}
	if _, err := parseEventFilter([]byte(`{"allowed":[{"typ":"x"}]}`), nil); err == nil {
		t.Fatal("an entry without a type is a bad request")
	}
	var none *eventFilter
	if !none.passes("anything") {
		t.Fatal("no filter lets everything through")
	}
}
