package callevent

import (
	"bytes"
	"strings"
	"testing"
)

func TestNewReference(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		ref, err := NewReference(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !ValidReference(ref) || strings.ContainsAny(ref, "0O1I") {
			t.Fatalf("reference %q", ref)
		}
		seen[ref] = true
	}
	if len(seen) < 1990 {
		t.Errorf("only %d distinct references in 2000 draws", len(seen))
	}
	fixed, _ := NewReference(bytes.NewReader([]byte{0, 31, 32, 255, 8, 9}))
	if fixed != "2Z2ZAB" {
		t.Errorf("fixed source gave %q", fixed)
	}
	if ValidReference("01A23F") || ValidReference("K7M2Q") || ValidReference("k7m2qx") {
		t.Error("a malformed reference passes")
	}
}
