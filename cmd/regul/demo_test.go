package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// The README's run command: the demo must place its three calls and find
// each recorded as a person would expect.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := os.Chdir("../.."); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chdir("cmd/regul") })
	var out bytes.Buffer
	if err := runDemo(ctx, &out, "error", "testdata", 50, ""); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"recorded: result bridged; attempt 1 (rank 1, 10002000015) accepted; outcome keyed teleexpertise within 24 h",
		"recorded: result bridged; attempt 1 (rank 1, 10002000015) no_answer; attempt 2 (rank 2, 10002000023) accepted; outcome keyed avis_seul",
		"recorded: result callback; attempt 1 (rank 1, 10002000049) busy; callback request open",
		"«Tapez 1 pour prendre l'appel, 2 pour refuser.»",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
}
