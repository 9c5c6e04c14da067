package ivr

import (
	"strings"
	"testing"
)

func TestPromptCatalogueCoversTheScript(t *testing.T) {
	p := loadCatalogue(t)
	for _, id := range RequiredPromptIDs() {
		pr, ok := p.Lookup(id)
		if !ok {
			t.Fatalf("prompt %s missing", id)
		}
		if !strings.HasPrefix(pr.Sound, "regul/") {
			t.Errorf("prompt %s: sound %s outside regul/", id, pr.Sound)
		}
	}
	text := func(id string) string { pr, _ := p.Lookup(id); return pr.Text }
	mustSay := map[string][]string{
		pEmergency15:    {"urgence vitale", "15"},
		pClosed:         {"15", "permanence des soins", "116 117"},
		pNobodyReached:  {"Aucun spécialiste n'a pu être joint", "demande de rappel est enregistrée"},
		pAcceptKeys:     {"Tapez 1 pour prendre l'appel, 2 pour refuser."},
		pOutcomeMenu:    {"téléconsultation, tapez 1", "téléexpertise, tapez 2", "présentiel, tapez 3", "urgences, tapez 4", "avis seul, tapez 5"},
		pDelayMenu:      {"24 heures, tapez 1", "48 heures, tapez 2", "7 jours, tapez 3"},
		pRPPSInvalid:    {"RPPS invalide"},
		pPINWrong:       {"Code incorrect"},
		pChoiceInvalid:  {"Choix invalide"},
		pTechnicalError: {"désolés"},
	}
	for id, parts := range mustSay {
		for _, part := range parts {
			if !strings.Contains(text(id), part) {
				t.Errorf("prompt %s %q does not say %q", id, text(id), part)
			}
		}
	}
	whisper := text(pWhisperLine) + " CPTS des Coteaux " + text(pWhisperDoctor) + " Marie DUBOIS" +
		text(pWhisperAsks) + " cardiologie. " + text(pAcceptKeys)
	want := "Ligne de régulation CPTS des Coteaux : le docteur Marie DUBOIS, généraliste, demande un avis en cardiologie. Tapez 1 pour prendre l'appel, 2 pour refuser."
	if whisper != want {
		t.Errorf("whisper reads\n %q\nwant\n %q", whisper, want)
	}
}

func TestPromptLoaderRejects(t *testing.T) {
	full := func(extra string) string {
		var b strings.Builder
		b.WriteString("prompts:\n")
		for _, id := range RequiredPromptIDs() {
			b.WriteString("  - id: " + id + "\n    sound: regul/" + strings.ReplaceAll(id, "_", "-") + "\n    text: Texte.\n")
		}
		return b.String() + extra
	}
	if _, err := LoadPromptsYAML(strings.NewReader(full(""))); err != nil {
		t.Fatalf("a complete catalogue is rejected: %v", err)
	}
	tests := []struct {
		name, yaml, want string
	}{
		{"missing prompt named", strings.Replace(full(""), "  - id: locked\n", "  - id: lockedd\n", 1), "lacks locked"},
		{"duplicate id", full("  - id: welcome\n    sound: regul/autre\n    text: Encore.\n"), "welcome appears twice"},
		{"duplicate sound", full("  - id: extra\n    sound: regul/welcome\n    text: Encore.\n"), "already prompt welcome's"},
		{"sound with prefix", full("  - id: extra\n    sound: sound:regul/x\n    text: X.\n"), "not an Asterisk sound name"},
		{"sound with extension", full("  - id: extra\n    sound: regul/x.wav\n    text: X.\n"), "not an Asterisk sound name"},
		{"empty text", full("  - id: extra\n    sound: regul/x\n    text: \"  \"\n"), "extra: empty text"},
		{"unknown key", full("  - id: extra\n    sound: regul/x\n    txt: X.\n"), `unknown key "txt"`},
		{"no id", full("  - sound: regul/x\n    text: X.\n"), "without an id"},
		{"not YAML", "prompts: [", "decode YAML"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadPromptsYAML(strings.NewReader(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to say %q", err, tc.want)
			}
		})
	}
	if _, err := LoadPrompts("no/such/prompts.yaml"); err == nil || !strings.Contains(err.Error(), "no/such/prompts.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestNumbers(t *testing.T) {
	for in, want := range map[string]string{"+33611000014": "+336110000**", "": "", "123": "***"} {
		if got := maskNumber(in); got != want {
			t.Errorf("maskNumber(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"+33179000099": "0179000099", "+3227001234": "003227001234", "": "", "0179000099": "0179000099"} {
		if got := spokenNumber(in); got != want {
			t.Errorf("spokenNumber(%q) = %q, want %q", in, got, want)
		}
	}
}
