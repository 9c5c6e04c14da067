package console

import (
	"errors"
	"regexp"
	"strings"

	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/roster"
)

// The roster package reports planning problems in English (the CLI's and
// the logs' language); coordinators read them in French. Each known form
// is rewritten here; a message no rule knows is shown as it is, so a new
// check in roster is never hidden.

type frRule struct {
	re   *regexp.Regexp
	repl string
}

// frRosterRules follow the messages of roster's parseShiftLine,
// checkSpecialists, checkFileOverlaps, compareWithBase and checkShiftForm.
// Compiled once, never changed.
var frRosterRules = func() []frRule {
	rule := func(re, repl string) frRule { return frRule{regexp.MustCompile(re), repl} }
	return []frRule{
		rule(`^rpps : 0 characters, want 11 digits$`, "RPPS à remplir"),
		rule(`^(start|end) "" is not a time written YYYY-MM-DD HH:MM$`, "$1 à remplir"),
		rule(`^rank "": want a whole number from 1 \(called first\) to 9$`, "rang à remplir"),
		rule(`^rpps (\S*): wrong check digit \(Luhn\)$`, "RPPS $1 : la clé de contrôle (Luhn) est fausse, vérifiez le numéro"),
		rule(`^rpps (\S*): (\d+) characters, want 11 digits$`, "RPPS « $1 » : $2 caractères, il en faut 11"),
		rule(`^rpps (\S*): not only digits$`, "RPPS « $1 » : des chiffres seulement"),
		rule(`^rpps (\d+): unknown specialist .*$`, "RPPS $1 : médecin inconnu de l'annuaire"),
		rule(`^rpps (\d+) \((.*)\) is not enrolled as requis for (\S+) in \S+$`, "$2 ($1) n'est pas inscrit comme spécialiste de garde en $3"),
		rule(`^unknown specialty "(.*)" \(this territory has: (.*)\)$`, "spécialité « $1 » inconnue (ce territoire a : $2)"),
		rule(`^(start|end) "(.*)" is not a time written YYYY-MM-DD HH:MM$`, "$1 « $2 » : date et heure attendues, AAAA-MM-JJ HH:MM"),
		rule(`^(start|end) "(.*)" does not exist in (\S+) \(clocks go forward over it\)$`, "$1 « $2 » : cette heure n'existe pas ($3 passe à l'heure d'été)"),
		rule(`^end (.*) is not after start (.*)$`, "la fin ($1) doit venir après le début ($2)"),
		rule(`^rank "(.*)": want a whole number from 1 \(called first\) to 9$`, "rang « $1 » : un nombre de 1 (appelé en premier) à 9"),
		rule(`^overlaps line (\d+) \((.*)\)$`, "chevauche la ligne $1 ($2)"),
		rule(`^repeats line (\d+) \((.*)\)$`, "répète la ligne $1 ($2)"),
		rule(`^overlaps existing shift \d+ \((.*)\)$`, "chevauche une garde déjà enregistrée ($1)"),
		rule(`^the same shift already exists \(shift \d+, (.*)\)$`, "cette garde existe déjà ($1)"),
		rule(`^(\d+) field\(s\), want (\d+) \((.*)\)$`, "$1 champ(s) au lieu de $2 ($3)"),
		rule(`^not readable as CSV: (.*)$`, "illisible en CSV : $1"),
		rule(`^empty file: .*$`, "fichier vide : il faut l'en-tête rpps;specialite;debut;fin;rang puis une garde par ligne"),
		rule(`^no shifts after the header$`, "aucune garde après l'en-tête"),
		rule(`^unknown column "(.*)": .*$`, "colonne « $1 » inconnue : l'en-tête doit être rpps;specialite;debut;fin;rang"),
		rule(`^header lacks column\(s\) (.*): .*$`, "il manque la ou les colonnes $1 : l'en-tête doit être rpps;specialite;debut;fin;rang"),
	}
}()

// frRosterProblem is one roster problem message in French.
func frRosterProblem(msg string) string {
	for _, r := range frRosterRules {
		if r.re.MatchString(msg) {
			out := r.re.ReplaceAllString(msg, r.repl)
			out = strings.ReplaceAll(out, " rank ", " rang ")
			return strings.NewReplacer("start «", "début «", "end «", "fin «", "start à", "début à", "end à", "fin à").Replace(out)
		}
	}
	return msg
}

// frLocalTimeProblem explains a roster.ParseLocal refusal.
func frLocalTimeProblem(err error) string {
	var le *roster.LocalTimeError
	if !errors.As(err, &le) {
		return err.Error()
	}
	if strings.Contains(le.Reason, "does not exist") {
		return "« " + le.Input + " » n'existe pas (" + le.Zone + " passe à l'heure d'été)"
	}
	if le.Input == "" {
		return "date et heure à remplir"
	}
	return "« " + le.Input + " » : date et heure attendues, AAAA-MM-JJ HH:MM"
}

func frRPPSReason(reason string) string {
	switch {
	case strings.Contains(reason, "Luhn"):
		return "la clé de contrôle (Luhn) est fausse, vérifiez le numéro"
	case strings.Contains(reason, "not only digits"):
		return "des chiffres seulement"
	case strings.Contains(reason, "want 11 digits"):
		return "il faut 11 chiffres"
	}
	return reason
}

// planningAuditLabel is the journal's French label of a planning change.
func planningAuditLabel(action string) (string, bool) {
	label, ok := map[string]string{
		journal.ActionShiftAdded:      "Garde ajoutée",
		journal.ActionShiftUpdated:    "Garde modifiée",
		journal.ActionShiftDeleted:    "Garde supprimée",
		journal.ActionShiftImport:     "Planning importé",
		journal.ActionOverrideAdded:   "Remplacement ajouté",
		journal.ActionOverrideDeleted: "Remplacement supprimé",
	}[action]
	return label, ok
}
