package roster

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/regul-sante/regul/roster/oncall"
)

var (
	slugPattern        = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)
	communePattern     = regexp.MustCompile(`^([0-9]{5}|2[AB][0-9]{3})$`)
	departementPattern = regexp.MustCompile(`^([0-9]{2}|2[AB]|97[0-9])$`)
	savoirFairePattern = regexp.MustCompile(`^[A-Z]{1,4}[0-9]{1,4}$`)
)

// Validate checks the spec, fills its defaults and normalises its phone
// numbers to E.164. It returns every problem found, joined (each a
// *SpecError).
func (spec *TerritorySpec) Validate() error {
	errs := &specErrors{file: spec.file, lines: spec.lines}
	if !slugPattern.MatchString(spec.Slug) {
		errs.add("slug", "%q is not a slug (lower-case letters, digits and dashes, 2 to 63 characters)", spec.Slug)
	}
	if spec.Name == "" {
		errs.add("name", "missing")
	} else if err := CheckText("name", spec.Name, MaxTerritoryNameLen); err != nil {
		errs.add("name", "%s", err.(*TextError).Reason)
	}
	if err := CheckText("coordinator.email", spec.CoordinatorEmail, MaxEmailLen); err != nil {
		errs.add("coordinator.email", "%s", err.(*TextError).Reason)
	}
	if spec.VideoURL != "" {
		if err := CheckText("video_room_url", spec.VideoURL, MaxVideoURLLen); err != nil {
			errs.add("video_room_url", "%s", err.(*TextError).Reason)
		} else if u, err := url.Parse(spec.VideoURL); err != nil || u.Scheme != "https" || u.Host == "" ||
			!strings.Contains(spec.VideoURL, "{ref}") || strings.ContainsAny(spec.VideoURL, " \t") {
			errs.add("video_room_url", "%q is not an https address with {ref} for the call's reference (e.g. https://visio.example.org/regul-{ref})", spec.VideoURL)
		}
	}
	if spec.Timezone == "" {
		spec.Timezone = DefaultTimezone
	}
	if _, err := time.LoadLocation(spec.Timezone); err != nil {
		errs.add("timezone", "%q is not a known time zone (e.g. Europe/Paris)", spec.Timezone)
	}
	if len(spec.Numbers) == 0 {
		errs.add("numbers", "at least one regulation number is needed")
	}
	seenNumber := map[string]int{}
	for i := range spec.Numbers {
		field := fmt.Sprintf("numbers[%d]", i)
		e164, err := NormalizePhone(spec.Numbers[i])
		if err != nil {
			errs.add(field, "%v", err)
			continue
		}
		if j, dup := seenNumber[e164]; dup {
			errs.add(field, "%s is already numbers[%d]", e164, j)
		}
		seenNumber[e164] = i
		spec.Numbers[i] = e164
	}
	spec.validateHours(errs)
	switch spec.Policy {
	case "":
		spec.Policy = oncall.PolicyRPPSPIN
	case oncall.PolicyRPPS, oncall.PolicyRPPSPIN, oncall.PolicyCallerIDPIN:
	default:
		errs.add("identification", "%q is not rpps, rpps+pin or callerid+pin", spec.Policy)
	}
	if spec.RingTimeout == 0 {
		spec.RingTimeout = DefaultRingTimeout
	}
	if spec.HuntTimeout == 0 {
		spec.HuntTimeout = DefaultHuntTimeout
	}
	checkSeconds(errs, "ring_timeout", spec.RingTimeout, 5, 120)
	checkSeconds(errs, "hunt_timeout", spec.HuntTimeout, 10, 900)
	if spec.HuntTimeout < spec.RingTimeout {
		errs.add("hunt_timeout", "%s is shorter than ring_timeout %s", spec.HuntTimeout, spec.RingTimeout)
	}
	if spec.CoordinatorPhone != "" {
		e164, err := NormalizePhone(spec.CoordinatorPhone)
		if err != nil {
			errs.add("coordinator.phone", "%v", err)
		} else {
			spec.CoordinatorPhone = e164
		}
	}
	if spec.CoordinatorEmail != "" {
		if a, err := mail.ParseAddress(spec.CoordinatorEmail); err != nil || a.Address != spec.CoordinatorEmail {
			errs.add("coordinator.email", "%q is not an e-mail address", spec.CoordinatorEmail)
		}
	}
	if len(spec.Communes) == 0 && len(spec.Departements) == 0 {
		errs.add("coverage", "give the communes (INSEE codes) or départements the territory covers")
	}
	for i, c := range spec.Communes {
		if !communePattern.MatchString(c) {
			errs.add(fmt.Sprintf("coverage.communes[%d]", i), "%q is not an INSEE commune code (5 characters, e.g. 37261 or 2A004)", c)
		}
	}
	for i, d := range spec.Departements {
		if !departementPattern.MatchString(d) {
			errs.add(fmt.Sprintf("coverage.departements[%d]", i), "%q is not a département code (e.g. 37, 2A, 974)", d)
		}
	}
	spec.validateSpecialties(errs)
	return errs.err()
}

func checkSeconds(errs *specErrors, field string, d time.Duration, min, max int) {
	if d%time.Second != 0 {
		errs.add(field, "%s is not a whole number of seconds", d)
	}
	if d < time.Duration(min)*time.Second || d > time.Duration(max)*time.Second {
		errs.add(field, "%s is not between %ds and %ds", d, min, max)
	}
}

func (spec *TerritorySpec) validateHours(errs *specErrors) {
	open := false
	for wd, spans := range spec.Hours.Weekly {
		field := "opening_hours." + weekdayKeys[wd]
		checkSpans(errs, field, spans)
		open = open || len(spans) > 0
	}
	if !open {
		errs.add("opening_hours", "no opening hours: the line would never take calls")
	}
	if spec.Hours.HolidaysOpen {
		if len(spec.Hours.HolidayHours) == 0 {
			errs.add("public_holidays", "open but no holiday_hours are given")
		}
		checkSpans(errs, "holiday_hours", spec.Hours.HolidayHours)
	} else if len(spec.Hours.HolidayHours) > 0 {
		errs.add("holiday_hours", "given but public_holidays is closed")
	}
}

func checkSpans(errs *specErrors, field string, spans []oncall.Span) {
	sorted := slices.Clone(spans)
	slices.SortFunc(sorted, func(a, b oncall.Span) int { return a.Start - b.Start })
	for i := 1; i < len(sorted); i++ {
		if sorted[i].Start < sorted[i-1].End {
			errs.add(field, "%s overlaps %s", sorted[i], sorted[i-1])
		}
	}
}

func (spec *TerritorySpec) validateSpecialties(errs *specErrors) {
	if len(spec.Specialties) == 0 {
		errs.add("specialties", "at least one specialty is needed")
	}
	bySlug := map[string]string{}
	byDigit := map[int]string{}
	for i := range spec.Specialties {
		sp := &spec.Specialties[i]
		field := fmt.Sprintf("specialties[%d]", i)
		if !slugPattern.MatchString(sp.Slug) {
			errs.add(field+".slug", "%q is not a slug (lower-case letters, digits and dashes)", sp.Slug)
		} else if _, dup := bySlug[sp.Slug]; dup {
			errs.add(field+".slug", "%s appears twice", sp.Slug)
		}
		if sp.Label == "" {
			errs.add(field+".label", "missing (it is spoken in the menu)")
		} else if err := CheckText(field+".label", sp.Label, MaxLabelLen); err != nil {
			errs.add(field+".label", "%s", err.(*TextError).Reason)
		}
		if err := CheckText(field+".fallback.label", sp.FallbackLabel, MaxLabelLen); err != nil {
			errs.add(field+".fallback.label", "%s", err.(*TextError).Reason)
		}
		switch other, dup := byDigit[sp.Digit]; {
		case sp.Digit < 1 || sp.Digit > 9:
			errs.add(field+".digit", "%d is not a menu key between 1 and 9", sp.Digit)
		case dup:
			errs.add(field+".digit", "%d is already used by %s", sp.Digit, other)
		}
		bySlug[sp.Slug] = sp.Slug
		if _, dup := byDigit[sp.Digit]; !dup {
			byDigit[sp.Digit] = sp.Slug
		}
		if len(sp.SavoirFaire) == 0 {
			errs.add(field+".savoir_faire", "give the Annuaire Santé savoir-faire codes that qualify (e.g. SM04)")
		}
		for j, code := range sp.SavoirFaire {
			if !savoirFairePattern.MatchString(code) {
				errs.add(fmt.Sprintf("%s.savoir_faire[%d]", field, j), "%q is not a savoir-faire code (e.g. SM04)", code)
			}
		}
		switch {
		case sp.FallbackLabel == "" && sp.FallbackPhone == "":
		case sp.FallbackLabel == "":
			errs.add(field+".fallback.label", "missing (it is spoken before the fallback line is dialled)")
		case sp.FallbackPhone == "":
			errs.add(field+".fallback.phone", "missing")
		default:
			e164, err := NormalizePhone(sp.FallbackPhone)
			if err != nil {
				errs.add(field+".fallback.phone", "%v", err)
			} else {
				sp.FallbackPhone = e164
			}
		}
	}
}

// weekdayKeys are the opening_hours keys, indexed by time.Weekday.
var weekdayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
