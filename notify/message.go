package notify

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind is the closed set of messages.
type Kind string

const (
	KindCallbackSpecialist  Kind = "callback_specialist"  // a GP waits for this on-duty specialist's call
	KindCallbackGP          Kind = "callback_gp"          // the GP's request is recorded
	KindCallbackCoordinator Kind = "callback_coordinator" // the coordination sees a request nobody took
	KindOutcomeLink         Kind = "outcome_link"         // the specialist keys the outcome through a link
	KindCoverageDigest      Kind = "coverage_digest"      // the next days' gaps in the roster
	KindCallbackLink        Kind = "callback_link"        // how to call the GP back through the line (when apart)
	KindCallbackTaken       Kind = "callback_taken"       // another specialist called the GP back: the links stop
	KindGPTrace             Kind = "gp_trace"             // the written trace of a keyed outcome (and the video room)
)

// SegmentLength is what one GSM-7 SMS carries; longer bodies or bodies with
// characters outside GSM-7 cost several segments.
const SegmentLength = 160

// FrenchPhone shows an E.164 French number as people write it
// (+33612000015 → 06 12 00 00 15); other numbers stay as they are.
func FrenchPhone(e164 string) string {
	if !strings.HasPrefix(e164, "+33") || len(e164) != 12 {
		return e164
	}
	n := "0" + e164[3:]
	return strings.Join([]string{n[0:2], n[2:4], n[4:6], n[6:8], n[8:10]}, " ")
}

// doctor is "Dr Marie DUBOIS".
func doctor(first, last string) string {
	return strings.TrimSpace("Dr " + strings.TrimSpace(first+" "+last))
}

func phoneOrUnknown(e164 string) string {
	if e164 == "" {
		return "numéro non transmis"
	}
	return FrenchPhone(e164)
}

// callbackSpecialistBody asks an on-duty specialist to call the GP back.
func callbackSpecialistBody(territory, gpFirst, gpLast, gpPhone, specialty, ref string) string {
	return fmt.Sprintf("%s : le %s (%s) demande un avis en %s, merci de le rappeler. Réf. %s",
		territory, doctor(gpFirst, gpLast), phoneOrUnknown(gpPhone), specialty, ref)
}

// callbackThroughLineBody asks an on-duty specialist to call the GP back
// through the line: a link, or the line's number and a code. It leaves the
// GP's own number out (so that the call goes through the line and its
// outcome counts) to fit one SMS; the coordination's SMS keeps it.
func callbackThroughLineBody(territory, gpFirst, gpLast, specialty, url, line, code, ref string) string {
	return fmt.Sprintf("%s : %s, avis en %s. Rappeler : %s ou %s code %s. Réf. %s",
		territory, doctor(gpFirst, gpLast), specialty, url, FrenchPhone(line), code, ref)
}

// callbackLinkBody is the way through the line, when it does not fit in
// the request's SMS.
func callbackLinkBody(territory, gpFirst, gpLast, url, line, code string) string {
	return fmt.Sprintf("%s : rappeler le %s via la ligne : %s ou appelez le %s et tapez %s#",
		territory, doctor(gpFirst, gpLast), url, FrenchPhone(line), code)
}

// callbackTakenBody tells the other specialists that the GP was called back.
func callbackTakenBody(territory, gpFirst, gpLast, specialty, byFirst, byLast, ref string) string {
	return fmt.Sprintf("%s : le %s (%s) a été rappelé par le %s. Votre lien ne sert plus. Merci. Réf. %s",
		territory, doctor(gpFirst, gpLast), specialty, doctor(byFirst, byLast), ref)
}

// outcomeWords says an outcome in a trace, with the committed delay.
func outcomeWords(outcome string, delayHours int) string {
	delay := ""
	switch delayHours {
	case 0:
	case 7 * 24:
		delay = "sous 7 jours"
	default:
		delay = fmt.Sprintf("sous %d h", delayHours)
	}
	switch outcome {
	case "teleconsultation":
		return "téléconsultation"
	case "teleexpertise":
		if delay == "" {
			return "téléexpertise"
		}
		return "téléexpertise, réponse " + delay
	case "consultation_presentiel":
		return strings.TrimSpace("consultation en présentiel " + delay)
	case "orientation_hopital":
		return "orientation hospitalière ou urgences"
	case "avis_seul":
		return "avis donné par téléphone"
	}
	return outcome
}

// gpTraceBody is the GP's written trace of a keyed outcome.
func gpTraceBody(territory, spFirst, spLast, specialty, outcome string, delayHours int, video, ref string) string {
	s := fmt.Sprintf("%s : %s (%s) - %s.", territory, doctor(spFirst, spLast), specialty, outcomeWords(outcome, delayHours))
	if video != "" {
		s += " Visio : " + video
	}
	return s + " Réf. " + ref
}

// videoSpecialistBody gives the specialist the téléconsultation's room.
func videoSpecialistBody(territory, gpFirst, gpLast, video, ref string) string {
	return fmt.Sprintf("%s : téléconsultation avec le %s, visio : %s Réf. %s",
		territory, doctor(gpFirst, gpLast), video, ref)
}

// callbackGPBody tells the GP the request is recorded and who will call back.
func callbackGPBody(territory, specialty, callerFirst, callerLast, ref string) string {
	who := "la coordination vous rappellera"
	if callerLast != "" {
		who = "le " + doctor(callerFirst, callerLast) + " vous rappellera"
	}
	return fmt.Sprintf("%s : aucun spécialiste joignable. Votre demande d'avis en %s est enregistrée, %s. Réf. %s",
		territory, specialty, who, ref)
}

// callbackCoordinatorBody tells the coordination a request waits.
func callbackCoordinatorBody(territory, gpFirst, gpLast, gpPhone, specialty, ref string) string {
	return fmt.Sprintf("%s : demande de rappel en %s du %s (%s), aucun spécialiste joint. Réf. %s",
		territory, specialty, doctor(gpFirst, gpLast), phoneOrUnknown(gpPhone), ref)
}

// outcomeLinkBody gives the specialist the link to key the outcome.
func outcomeLinkBody(territory, gpFirst, gpLast string, at time.Time, link string) string {
	return fmt.Sprintf("%s : merci de saisir l'issue de l'appel du %s (%s) : %s",
		territory, doctor(gpFirst, gpLast), at.Format("15:04"), link)
}

// GSM7 says whether s fits the GSM 03.38 basic alphabet (and its extension
// table, whose characters count twice), and how many septets it takes.
func GSM7(s string) (septets int, ok bool) {
	for _, r := range s {
		switch {
		case strings.ContainsRune(gsm7Basic, r):
			septets++
		case strings.ContainsRune(gsm7Extension, r):
			septets += 2
		default:
			return 0, false
		}
	}
	return septets, true
}

// Segments is how many SMS a body costs (GSM-7 when it fits, else UCS-2).
func Segments(s string) int {
	if n, ok := GSM7(s); ok {
		if n <= SegmentLength {
			return 1
		}
		return (n + 152) / 153
	}
	units := 0
	for _, r := range s {
		units += utf8.RuneLen(r) / 4 // astral runes take two UTF-16 units
		units++
	}
	if units <= 70 {
		return 1
	}
	return (units + 66) / 67
}

const (
	gsm7Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7Extension = "^{}\\[~]|€\f"
)
