package console

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
)

// French labels of the call records' closed vocabularies, as coordinators
// read them on the Calls pages and in the CSV export.

type callChoice struct{ Value, Label string }

// callResultChoices are the call results in the order the filter offers them
// (a function, not a variable: no package-level mutable state).
func callResultChoices() []callChoice {
	return []callChoice{
		{string(callevent.ResultBridged), "Mis en relation"},
		{string(callevent.ResultCallback), "Rappel demandé"},
		{string(callevent.ResultRefused), "Refusé"},
		{string(callevent.ResultAbandoned), "Abandonné"},
		{string(callevent.ResultOutOfHours), "Hors horaires"},
		{string(callevent.ResultUnknownDID), "Numéro inconnu"},
		{string(callevent.ResultFailed), "Échec technique"},
		{string(callevent.ResultInterrupted), "Interrompu (incident technique)"},
	}
}

// callOutcomeChoices are the outcomes in the keypad's order, then "pending".
func callOutcomeChoices() []callChoice {
	return []callChoice{
		{string(callevent.OutcomeTeleconsultation), "Téléconsultation"},
		{string(callevent.OutcomeTeleexpertise), "Téléexpertise"},
		{string(callevent.OutcomeVisit), "Consultation en présentiel"},
		{string(callevent.OutcomeHospital), "Orientation hôpital / urgences"},
		{string(callevent.OutcomeAdvice), "Avis seul"},
		{calllog.OutcomePendingFilter, "Issue en attente"},
	}
}

func labelOf(choices []callChoice, value string) string {
	for _, c := range choices {
		if c.Value == value {
			return c.Label
		}
	}
	return value
}

// resultLabel is a call result in French; "" is a call still in progress.
func resultLabel(r callevent.Result) string {
	if r == "" {
		return "En cours"
	}
	return labelOf(callResultChoices(), string(r))
}

// resultTone is the badge colour of a result: the GP was put through (ok),
// was left waiting for a callback or lost (danger), or neither (neutral).
func resultTone(r callevent.Result) string {
	switch r {
	case callevent.ResultBridged:
		return "ok"
	case callevent.ResultCallback, callevent.ResultAbandoned, callevent.ResultFailed, callevent.ResultInterrupted:
		return "danger"
	case callevent.ResultRefused:
		return "warn"
	}
	return "neutral"
}

// missed says the GP asked for a specialist and was not put through: the
// rows coordinators must see first.
func missed(r callevent.Result) bool {
	return r == callevent.ResultCallback || r == callevent.ResultAbandoned || r == callevent.ResultFailed ||
		r == callevent.ResultInterrupted
}

func outcomeLabel(o callevent.Outcome) string { return labelOf(callOutcomeChoices(), string(o)) }

// delayLabel is the answer delay the specialist committed to.
func delayLabel(hours int) string {
	switch {
	case hours <= 0:
		return ""
	case hours == 168:
		return "sous 7 jours"
	case hours%24 == 0 && hours > 48:
		return fmt.Sprintf("sous %d jours", hours/24)
	}
	return fmt.Sprintf("sous %d h", hours)
}

func attemptResultLabel(r callevent.AttemptResult) string {
	switch r {
	case callevent.AttemptAccepted:
		return "Accepté"
	case callevent.AttemptDeclined:
		return "Refusé (touche 2)"
	case callevent.AttemptNoAnswer:
		return "Pas de réponse"
	case callevent.AttemptVoicemail:
		return "Messagerie"
	case callevent.AttemptBusy:
		return "Occupé"
	case callevent.AttemptFailed:
		return "Injoignable"
	case callevent.AttemptCancelled:
		return "Annulé"
	case "":
		return "En cours"
	}
	return string(r)
}

func attemptTone(r callevent.AttemptResult) string {
	switch r {
	case callevent.AttemptAccepted:
		return "ok"
	case callevent.AttemptCancelled, "":
		return "neutral"
	}
	return "warn"
}

// causeLabel names, in plain French, the common Q.850 hang-up causes the
// trunk reports; a cause it does not know reads « code réseau 47 ».
func causeLabel(cause int) string {
	names := map[int]string{
		1: "numéro inexistant", 16: "fin normale", 17: "occupé", 18: "ne répond pas", 19: "pas de réponse",
		20: "abonné absent", 21: "appel rejeté", 27: "destination hors service", 28: "numéro incomplet",
		31: "fin normale", 34: "aucun circuit disponible", 38: "réseau hors service", 41: "panne temporaire",
		42: "réseau encombré",
	}
	if cause == 0 {
		return ""
	}
	if n, ok := names[cause]; ok {
		return n
	}
	return fmt.Sprintf("code réseau %d", cause)
}

// attemptCause is the cause worth adding to an attempt's result: none
// when it only says the result again (« Occupé », occupé) or when the
// attempt was accepted.
func attemptCause(r callevent.AttemptResult, cause int) string {
	cl := causeLabel(cause)
	if r == callevent.AttemptAccepted || r == callevent.AttemptCancelled || cl == "fin normale" {
		return ""
	}
	result := strings.ToLower(attemptResultLabel(r))
	if cl == result || (r == callevent.AttemptNoAnswer && (cause == 18 || cause == 19)) {
		return ""
	}
	return cl
}

// identReasonLabel is why an identification failed or a call was refused.
func identReasonLabel(reason string) string {
	switch reason {
	case "bad_rpps":
		return "numéro RPPS invalide"
	case "timeout":
		return "pas de saisie"
	case "not_enrolled":
		return "médecin non inscrit sur ce territoire"
	case "wrong_pin":
		return "code incorrect"
	case "locked":
		return "identifiant verrouillé"
	}
	return reason
}

// frDuration is "45 s", "2 min 05 s" or "1 h 02 min": short enough for a
// table cell, exact enough for a ring time.
func frDuration(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s < 3600:
		return fmt.Sprintf("%d min %02d s", s/60, s%60)
	}
	return fmt.Sprintf("%d h %02d min", s/3600, (s%3600)/60)
}

// frThousands writes 12345 as "12 345" (a narrow no-break space, as French
// typography groups digits).
func frThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "\u202f" + s[i:]
	}
	return s
}
