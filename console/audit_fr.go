package console

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/regul-sante/regul/accounts/journal"
	"github.com/regul-sante/regul/roster/oncall"
)

// The journal in French: the label of each action, and each row's JSON
// detail as a coordinator reads it.

// auditLabel is the French label of an audit action.
func auditLabel(action string) string {
	switch action {
	case journal.ActionLogin:
		return "Connexion"
	case journal.ActionLoginFailed:
		return "Échec de connexion"
	case journal.ActionLogout:
		return "Déconnexion"
	case journal.ActionTOTPEnrolled:
		return "Double authentification activée"
	case journal.ActionCoordAdded:
		return "Compte coordinateur créé"
	case journal.ActionCoordDisabled:
		return "Compte coordinateur désactivé"
	case journal.ActionTOTPReset:
		return "Double authentification réinitialisée"
	case journal.ActionEnrolmentUnlocked, "identification.unlock": // the latter: rows written before the rename
		return "Médecin déverrouillé"
	case journal.ActionIdentLocked:
		return "Médecin verrouillé après des codes erronés"
	case journal.ActionIdentCallerLocked:
		return "Numéro appelant verrouillé après des codes erronés"
	case journal.ActionIdentNumberLocked:
		return "Numéro appelant verrouillé pour un médecin après des codes erronés"
	case journal.ActionTerritoryApply:
		return "Territoire configuré"
	case journal.ActionDirectoryImport:
		return "Annuaire importé"
	case journal.ActionCallbackDone:
		return "Demande de rappel close"
	case journal.ActionCallbackReopened:
		return "Demande de rappel rouverte"
	case journal.ActionSMSHandled:
		return "SMS refusé ou incertain marqué traité"
	case journal.ActionExportBilling:
		return "Export du relevé des actes"
	case journal.ActionExportARS:
		return "Export des statistiques ARS"
	case journal.ActionCallsExported:
		return "Export de la liste des appels"
	case journal.ActionTariffSet:
		return "Tarif modifié"
	case journal.ActionFeedIssued:
		return "Adresse d'agenda créée"
	case journal.ActionFeedRevoked:
		return "Adresse d'agenda révoquée"
	}
	if label, ok := planningAuditLabel(action); ok {
		return label
	}
	if label, ok := peopleAuditLabel(action); ok {
		return label
	}
	return action
}

// auditDetail renders journal details: French labels and values for the
// keys the code writes, any other key and value as they are, so nothing is
// hidden when a new one appears.
type auditDetail struct {
	loc    *time.Location
	bySlug map[string]string // specialty slug → label
	byID   map[string]string // specialty id, as JSON writes it → label
}

func newAuditDetail(loc *time.Location, specialties []specialtyOption) auditDetail {
	f := auditDetail{loc: loc, bySlug: map[string]string{}, byID: map[string]string{}}
	for _, s := range specialties {
		f.bySlug[s.Slug] = s.Label
		f.byID[strconv.FormatInt(s.ID, 10)] = s.Label
	}
	return f
}

// describe is "RPPS : 10003000014 · rôle : généraliste requérant · …".
func (f auditDetail) describe(raw []byte) string {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // ids and counts as written, never 7e+00
	if dec.Decode(&m) != nil || len(m) == 0 {
		return ""
	}
	return f.pairs(m)
}

// detailOrder puts who and what first, the former values of a change last;
// keys it does not name come between, alphabetically.
var detailOrder = []string{"slug", "rpps", "caller", "email", "admin", "role", "specialty", "specialty_id", "rank",
	"span", "start", "end", "du", "au", "mois", "until", "reason", "phones", "reference", "changes"}

func (f auditDetail) pairs(m map[string]any) string {
	rank := func(k string) int {
		if k == "before" {
			return len(detailOrder) + 1
		}
		if i := slices.Index(detailOrder, k); i >= 0 {
			return i
		}
		return len(detailOrder)
	}
	keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b))
	})
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		if p := f.pair(k, m[k]); p != "" && !strings.HasSuffix(p, " : ") {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " · ")
}

func (f auditDetail) pair(k string, v any) string {
	switch k {
	case "enrolment", "shift", "override", "sms", "feed":
		return "" // row ids: nothing a coordinator can look up
	case "until":
		return "jusqu'au " + f.instant(v)
	case "du", "au":
		// A period reads in its natural order: du … au …
		s := f.value(v)
		if d, err := time.Parse("2006-01-02", s); err == nil {
			s = d.Format("02/01/2006")
		}
		return k + " " + s
	case "start", "end":
		return map[string]string{"start": "début", "end": "fin"}[k] + " : " + f.instant(v)
	case "span":
		return "période : " + localSpan(f.value(v))
	case "role":
		return "rôle : " + detailRole(f.value(v))
	case "specialty":
		return "spécialité : " + lookup(f.bySlug, f.value(v))
	case "specialty_id":
		return "spécialité : " + lookup(f.byID, f.value(v))
	case "phones", "caller", "sources":
		return map[string]string{"phones": "téléphones", "caller": "appelant", "sources": "depuis"}[k] + " : " + f.mapValue(v, frPhone)
	case "changes":
		return "modifications : " + f.mapValue(v, changeLabel)
	case "before":
		return "avant : " + f.value(v)
	case "kind":
		return "message : " + smsKindLabel(f.value(v))
	}
	label, ok := map[string]string{
		"rpps": "RPPS", "reference": "référence", "admin": "administrateur", "email": "e-mail",
		"rank": "rang", "reason": "motif", "lock": "verrou n°", "note": "note", "ip": "adresse IP", "slug": "territoire",
		"file": "fichier", "added": "ajoutées", "unchanged": "inchangées", "lines": "lignes",
		"medecins": "médecins", "created": "créés", "updated": "mis à jour", "gps_enrolled": "généralistes inscrits",
	}[k]
	if !ok {
		label = k
	}
	return label + " : " + f.value(v)
}

// value writes any JSON value: booleans as oui/non, lists joined, objects
// in parentheses.
func (f auditDetail) value(v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case bool:
		if x {
			return "oui"
		}
		return "non"
	case string:
		return x
	case []any:
		return f.mapValue(x, func(s string) string { return s })
	case map[string]any:
		return "(" + f.pairs(x) + ")"
	}
	return fmt.Sprint(v)
}

// mapValue applies fn to a value, or to each element of a list.
func (f auditDetail) mapValue(v any, fn func(string) string) string {
	list, ok := v.([]any)
	if !ok {
		return fn(f.value(v))
	}
	if len(list) == 0 {
		return "—"
	}
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = fn(f.value(e))
	}
	return strings.Join(out, ", ")
}

// instant is a JSON time in the territory's time: "02/03/2026 10:30".
func (f auditDetail) instant(v any) string {
	s := f.value(v)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return frDateTime(t, f.loc)
}

// localSpan rewrites roster.FormatSpan's "2026-11-23 20:00 → 2026-11-24
// 08:00" (already local) the French way; other text stays as it is.
func localSpan(s string) string {
	a, b, ok := strings.Cut(s, " → ")
	start, err1 := time.Parse("2006-01-02 15:04", a)
	end, err2 := time.Parse("2006-01-02 15:04", b)
	if !ok || err1 != nil || err2 != nil {
		return s
	}
	if start.Format("2006-01-02") == end.Format("2006-01-02") {
		return start.Format("02/01/2006 15:04") + " → " + end.Format("15:04")
	}
	return start.Format("02/01/2006 15:04") + " → " + end.Format("02/01/2006 15:04")
}

func detailRole(role string) string {
	switch oncall.Role(role) {
	case oncall.Requerant:
		return "généraliste requérant"
	case oncall.Requis:
		return "spécialiste requis"
	}
	return role
}

func lookup(labels map[string]string, key string) string {
	if label, ok := labels[key]; ok {
		return label
	}
	return key
}

// changeLabel translates the changes roster.Enrol and roster.ApplyTerritory
// name, field by field; a value stays as written.
func changeLabel(c string) string {
	if l, ok := map[string]string{
		"practitioner added": "médecin ajouté à l'annuaire",
		"names corrected":    "nom corrigé",
		"phones changed":     "téléphones modifiés",
		"territory created":  "territoire créé",
	}[c]; ok {
		return l
	}
	if m := numberChangeRe.FindStringSubmatch(c); m != nil {
		return "numéro " + frPhone(m[1]) + map[string]string{"added": " ajouté", "removed": " retiré"}[m[2]]
	}
	if m := specialtyRemovedRe.FindStringSubmatch(c); m != nil {
		return fmt.Sprintf("spécialité %s supprimée (%s)", m[1], m[2]+" inscription(s) de spécialiste retirée(s)")
	}
	if rest, ok := strings.CutPrefix(c, "specialty "); ok {
		slug, what, ok := strings.Cut(rest, ": ")
		if ok && what == "created" {
			return "spécialité " + slug + " créée"
		}
		if ok {
			parts := strings.Split(what, ", ")
			for i, p := range parts {
				parts[i] = fieldChangeLabel(p)
			}
			return "spécialité " + slug + " : " + strings.Join(parts, ", ")
		}
	}
	return fieldChangeLabel(c)
}

var (
	numberChangeRe      = regexp.MustCompile(`^number (\S+): (added|removed)$`)
	specialtyRemovedRe  = regexp.MustCompile(`^specialty (\S+): removed \(with (\d+) requis enrolment\(s\)\)$`)
	territoryFieldLabel = map[string]string{
		"name": "nom", "timezone": "fuseau horaire", "opening_hours": "heures d'ouverture",
		"public_holidays": "jours fériés", "holiday_hours": "heures des jours fériés", "identification": "identification",
		"ring_timeout": "durée de sonnerie", "hunt_timeout": "durée de recherche", "coordinator.phone": "téléphone de la coordination",
		"coordinator.email": "e-mail de la coordination", "coverage.communes": "communes couvertes",
		"coverage.departements": "départements couverts", "label": "libellé", "digit": "touche du menu",
		"savoir_faire": "savoir-faire", "fallback": "ligne de secours", "fallback.label": "libellé de la ligne de secours",
		"fallback.phone": "téléphone de la ligne de secours",
	}
)

// fieldChangeLabel is "durée de sonnerie : 25s → 20s" for "ring_timeout:
// 25s → 20s"; anything else stays as written.
func fieldChangeLabel(c string) string {
	field, rest, ok := strings.Cut(c, ": ")
	if !ok {
		if field, rest, ok = strings.Cut(c, " "); !ok {
			return c
		}
	}
	label, known := territoryFieldLabel[field]
	if !known {
		return c
	}
	rest = strings.ReplaceAll(rest, "(none)", "aucun")
	if field == "public_holidays" {
		rest = strings.NewReplacer("closed", "fermés", "open", "ouverts").Replace(rest)
	}
	return label + " : " + rest
}
