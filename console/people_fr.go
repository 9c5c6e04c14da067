package console

import (
	"errors"
	"strings"

	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

// Audit actions of enrolment changes, which the roster writes.
const (
	actionEnrolmentCreated = journal.ActionEnrolmentCreated
	actionEnrolmentUpdated = journal.ActionEnrolmentUpdated
	actionEnrolmentPIN     = journal.ActionEnrolmentPIN
	actionEnrolmentRemoved = journal.ActionEnrolmentRemoved
)

// peopleAuditLabel is the journal's French label of an enrolment change.
func peopleAuditLabel(action string) (string, bool) {
	label, ok := map[string]string{
		actionEnrolmentCreated: "Médecin inscrit",
		actionEnrolmentUpdated: "Inscription modifiée",
		actionEnrolmentPIN:     "Nouveau code PIN",
		actionEnrolmentRemoved: "Inscription retirée",
	}[action]
	return label, ok
}

// enrolRefusals follow the reasons of roster's EnrolSpec.normalize and
// enrolTx, by their opening words; a reason no rule knows is shown as it
// is, so a new check in roster is never hidden.
var enrolRefusals = []struct {
	prefix, field, msg string
}{
	{"a requis needs a specialty", "specialite", "Choisissez la spécialité pour laquelle ce spécialiste répond."},
	{"a requérant has no specialty", "specialite", "Un généraliste requérant n'a pas de spécialité."},
	{"role ", "role", "Choisissez le rôle : généraliste requérant ou spécialiste requis."},
	{"a first name without a last name", "nom", "Un prénom sans nom : indiquez aussi le nom."},
	{"last name: ", "nom", "Le nom doit tenir en 100 caractères, sans caractère de contrôle."},
	{"first name: ", "nom", "Le prénom doit tenir en 100 caractères, sans caractère de contrôle."},
	{"specialty ", "specialite", "Cette spécialité n'existe pas sur ce territoire."},
	{"not in the directory", "nom", "Ce RPPS n'est pas dans l'annuaire : indiquez le nom et le prénom du médecin pour l'ajouter."},
	{"a requis needs at least one phone number", "telephones", "Un spécialiste requis doit avoir au moins un numéro (son portable) pour être appelé."},
}

// enrolProblems turns a refusal of roster.Enrol into French messages by
// field; ok is false for anything else (a server error).
func enrolProblems(err error) (fieldProblems, bool) {
	p := fieldProblems{}
	return p, addEnrolProblem(p, err)
}

func addEnrolProblem(p fieldProblems, err error) bool {
	var re *oncall.RPPSError
	var pe *roster.PhoneError
	var ee *roster.EnrolError
	switch {
	case errors.As(err, &re):
		if strings.TrimSpace(re.Input) == "" {
			p.add("rpps", "RPPS à remplir : ses 11 chiffres.")
		} else {
			p.add("rpps", "RPPS « "+re.Input+" » : "+frRPPSReason(re.Reason)+".")
		}
	case errors.As(err, &pe):
		p.add("telephones", frPhoneProblem(pe))
	case errors.As(err, &ee):
		for _, r := range enrolRefusals {
			if strings.HasPrefix(ee.Reason, r.prefix) {
				p.add(r.field, r.msg)
				return true
			}
		}
		p.add("", ee.Reason)
	default:
		return false
	}
	return true
}

// frPhoneProblem explains a roster.NormalizePhone refusal.
func frPhoneProblem(err error) string {
	var pe *roster.PhoneError
	if !errors.As(err, &pe) {
		return err.Error()
	}
	switch {
	case strings.TrimSpace(pe.Input) == "":
		return "Un numéro est vide."
	case strings.HasPrefix(pe.Reason, "not a valid number"):
		return "« " + pe.Input + " » n'est pas un numéro valide (longueur ou indicatif) : 06 12 34 56 78 ou +33 6 12 34 56 78."
	}
	return "« " + pe.Input + " » n'est pas un numéro de téléphone : 06 12 34 56 78 ou +33 6 12 34 56 78."
}
