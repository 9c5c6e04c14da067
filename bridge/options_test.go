package bridge

import (
	"strings"
	"testing"
)

func TestOptionsValidate(t *testing.T) {
	o := Options{URL: "ftp://x", WebsocketURL: "http://x/events", Application: "a,b", DialTemplate: "PJSIP/trunk"}
	o.setDefaults()
	err := o.validate()
	if err == nil {
		t.Fatal("bad options accepted")
	}
	for _, want := range []string{`ARI URL "ftp://x"`, `WebSocket URL "http://x/events"`, "username is empty", "password is empty", `application "a,b"`, "{e164}"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestEventsURL(t *testing.T) {
	for _, tc := range []struct{ url, ws, want string }{
		{"http://127.0.0.1:8088/ari", "", "ws://127.0.0.1:8088/ari/events?app=regul"},
		{"https://pbx.example/ari/", "", "wss://pbx.example/ari/events?app=regul"},
		{"http://u:secret@pbx.example/ari", "", "ws://pbx.example/ari/events?app=regul"},
		{"http://x/ari", "ws://y:9/ari/events", "ws://y:9/ari/events?app=regul"},
	} {
		o := Options{URL: tc.url, WebsocketURL: tc.ws, Application: "regul"}
		if got := o.eventsURL(); got != tc.want {
			t.Errorf("eventsURL(%q, %q) = %q, want %q", tc.url, tc.ws, got, tc.want)
		}
	}
}
