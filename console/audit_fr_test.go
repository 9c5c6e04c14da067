package console

import (
	"testing"
	"time"
)

func TestAuditDetail(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	f := newAuditDetail(paris, []specialtyOption{{ID: 3, Slug: "pediatrie", Label: "pédiatrie"}})
	for _, c := range []struct{ name, raw, want string }{
		{"GP unlocked from the console", `{"enrolment": 7, "role": "requerant", "rpps": "10003000014"}`,
			"RPPS : 10003000014 · rôle : généraliste requérant"},
		{"coordinator added", `{"admin": false, "email": "a@cpts.example"}`,
			"e-mail : a@cpts.example · administrateur : non"},
		{"enrolment written by the roster", `{"rpps": "10002000064", "role": "requis", "specialty": "pediatrie",
			"phones": ["+33612000064", "+41791234567"], "changes": ["phones changed", "something new"]}`,
			"RPPS : 10002000064 · rôle : spécialiste requis · spécialité : pédiatrie · " +
				"téléphones : 06 12 00 00 64, +41791234567 · modifications : téléphones modifiés, something new"},
		{"lock, in the territory's time", `{"rpps": "10003000014", "until": "2026-03-02T09:30:00Z"}`,
			"RPPS : 10003000014 · jusqu'au 02/03/2026 10:30"},
		{"caller locked", `{"caller": "+33611000014", "until": "2026-07-01T10:00:00.5Z"}`,
			"appelant : 06 11 00 00 14 · jusqu'au 01/07/2026 12:00"},
		{"callback closed", `{"reference": "CB0F00"}`, "référence : CB0F00"},
		{"ARS export as written", `{"du": "2026-02-01", "au": "2026-02-28", "lignes": 12, "fichier": "ars.csv"}`,
			"du 01/02/2026 · au 28/02/2026 · fichier : ars.csv · lignes : 12"},
		{"shift updated", `{"shift": 4, "rpps": "10002000015", "specialty": "cardiologie", "rank": "1",
			"span": "2026-03-02 08:00 → 2026-03-02 20:00", "before": {"shift": 4, "rank": "2", "span": "2026-03-02 20:00 → 2026-03-03 08:00"}}`,
			"RPPS : 10002000015 · spécialité : cardiologie · rang : 1 · période : 02/03/2026 08:00 → 20:00 · " +
				"avant : (rang : 2 · période : 02/03/2026 20:00 → 03/03/2026 08:00)"},
		{"override by specialty id", `{"override": 2, "specialty_id": 3, "rank": 1, "start": "2026-03-04T11:00:00Z", "end": "2026-03-04T13:00:00Z", "reason": "congé"}`,
			"spécialité : pédiatrie · rang : 1 · début : 04/03/2026 12:00 · fin : 04/03/2026 14:00 · motif : congé"},
		{"unknown keys as they are", `{"zeta": true, "alpha": null, "n": 1.5, "list": []}`,
			"alpha : — · list : — · n : 1.5 · zeta : oui"},
		{"territory applied, in French", `{"slug": "cpts-coteaux", "changes": ["number +33179000002: added", "number +33179000003: removed",
			"ring_timeout: 25s → 20s", "coordinator.email: (none) → a@b.fr", "public_holidays: closed → open",
			"specialty cardiologie: digit 1 → 2, fallback.label (none) → CH", "specialty neurologie: created",
			"specialty pediatrie: removed (with 2 requis enrolment(s))"]}`,
			"territoire : cpts-coteaux · modifications : numéro 01 79 00 00 02 ajouté, numéro 01 79 00 00 03 retiré, " +
				"durée de sonnerie : 25s → 20s, e-mail de la coordination : aucun → a@b.fr, jours fériés : fermés → ouverts, " +
				"spécialité cardiologie : touche du menu : 1 → 2, libellé de la ligne de secours : aucun → CH, spécialité neurologie créée, " +
				"spécialité pediatrie supprimée (2 inscription(s) de spécialiste retirée(s))"},
		{"an unparsable time stays", `{"until": "bientôt"}`, "jusqu'au bientôt"},
		{"empty", `{}`, ""},
		{"not an object", `"x"`, ""},
	} {
		if got := f.describe([]byte(c.raw)); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}
