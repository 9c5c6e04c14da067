package logging

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regul-sante/regul/internal/config"
)

func TestJSONLinesWithoutCaller(t *testing.T) {
	path := filepath.Join(t.TempDir(), "regul.log")
	log, err := New(config.Log{Format: "json", Level: "info"}, path)
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("not written")
	log.Info("call started")
	_ = log.Sync()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d lines, want the info line only:\n%s", len(lines), data)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
		t.Fatalf("not JSON: %v: %s", err, lines[0])
	}
	if line["msg"] != "call started" || line["time"] == nil || line["caller"] != nil {
		t.Fatalf("line %v: want msg and time, no caller", line)
	}
}

func TestBadLevelNamesTheKey(t *testing.T) {
	_, err := New(config.Log{Format: "json", Level: "loud"})
	if err == nil || !strings.Contains(err.Error(), "log.level") {
		t.Fatalf("err = %v, want one naming log.level", err)
	}
}
