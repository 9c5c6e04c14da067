package arisim

import "testing"

func TestLoadScenario(t *testing.T) {
	sc, err := LoadScenario("../../testdata/scenarios/accept.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Inbound) != 1 || sc.Inbound[0].Steps[1].Press != "10001045367#" || len(sc.Outbound) != 2 || !sc.Outbound[0].Steps[1].Answer {
		t.Fatalf("%+v", sc)
	}
}
