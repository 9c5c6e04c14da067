package roster

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/regul-sante/regul/roster/oncall"
	"gopkg.in/yaml.v3"
)

// LoadTerritorySpec reads and validates a territory file:
//
//	slug: cpts-coteaux
//	name: CPTS des Coteaux
//	timezone: Europe/Paris            # default
//	numbers: ["+33179000001"]         # regulation numbers (DIDs)
//	opening_hours: {mon: ["08:00-20:00"], sat: ["08:00-12:00"]}
//	public_holidays: closed           # closed (default) | open
//	holiday_hours: []                 # when open
//	identification: rpps+pin          # rpps | rpps+pin | callerid+pin
//	ring_timeout: 25s
//	hunt_timeout: 120s
//	coordinator: {phone: "+33179000099", email: coordination@example.org}
//	coverage: {departements: ["37"], communes: ["37261"]}
//	specialties:
//	  - {slug: cardiologie, label: cardiologie, digit: 1, savoir_faire: [SM04, SM73],
//	     fallback: {label: ligne de cardiologie du CH, phone: "+33247000001"}}
//
// Unknown keys are errors. Every error carries the file's line.
func LoadTerritorySpec(path string) (TerritorySpec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return TerritorySpec{}, fmt.Errorf("read territory file: %w", err)
	}
	return ParseTerritorySpec(path, data)
}

// ParseTerritorySpec is LoadTerritorySpec on bytes; name is used in errors.
func ParseTerritorySpec(name string, data []byte) (TerritorySpec, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return TerritorySpec{}, fmt.Errorf("%s: %w", name, err)
	}
	p := &specParser{errs: &specErrors{file: name, lines: map[string]int{}}}
	spec := TerritorySpec{file: name, lines: p.errs.lines}
	if len(doc.Content) == 0 {
		return spec, fmt.Errorf("%s: empty file", name)
	}
	p.territory(doc.Content[0], &spec)
	if err := p.errs.err(); err != nil {
		return spec, err
	}
	return spec, spec.Validate()
}

type specParser struct {
	errs *specErrors
}

func (p *specParser) at(n *yaml.Node, field string) { p.errs.lines[field] = n.Line }

// mapping walks a mapping node's keys; each returns false for an unknown key.
func (p *specParser) mapping(n *yaml.Node, field string, each func(key string, v *yaml.Node) bool) {
	p.at(n, field)
	if n.Kind != yaml.MappingNode {
		p.errs.add(field, "expected a mapping of keys to values")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		sub := k.Value
		if field != "" {
			sub = field + "." + k.Value
		}
		p.at(k, sub)
		if seen[k.Value] {
			p.errs.add(sub, "appears twice")
			continue
		}
		seen[k.Value] = true
		if !each(k.Value, v) {
			p.errs.add(sub, "unknown key")
		}
	}
}

func (p *specParser) scalar(n *yaml.Node, field string) string {
	p.at(n, field)
	if n.Kind != yaml.ScalarNode {
		p.errs.add(field, "expected a single value")
		return ""
	}
	return strings.TrimSpace(n.Value)
}

func (p *specParser) list(n *yaml.Node, field string) []string {
	p.at(n, field)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.errs.add(field, "expected a list")
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		out = append(out, p.scalar(item, fmt.Sprintf("%s[%d]", field, i)))
	}
	return out
}

func (p *specParser) integer(n *yaml.Node, field string) int {
	s := p.scalar(n, field)
	v, err := strconv.Atoi(s)
	if err != nil && s != "" {
		p.errs.add(field, "%q is not a whole number", s)
	}
	return v
}

// duration reads "25s", "2m" or a plain number of seconds.
func (p *specParser) duration(n *yaml.Node, field string) time.Duration {
	s := p.scalar(n, field)
	if s == "" {
		return 0
	}
	if secs, err := strconv.Atoi(s); err == nil {
		return time.Duration(secs) * time.Second
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		p.errs.add(field, "%q is not a duration (e.g. 25s, 2m)", s)
	}
	return d
}

func (p *specParser) spans(n *yaml.Node, field string) []oncall.Span {
	var out []oncall.Span
	for i, s := range p.list(n, field) {
		from, to, ok := strings.Cut(s, "-")
		span, err := oncall.ParseSpan(strings.TrimSpace(from), strings.TrimSpace(to))
		if !ok || err != nil {
			p.errs.add(fmt.Sprintf("%s[%d]", field, i), "%q is not a span like 08:00-20:00", s)
			continue
		}
		out = append(out, span)
	}
	return out
}

func (p *specParser) territory(n *yaml.Node, spec *TerritorySpec) {
	p.mapping(n, "", func(key string, v *yaml.Node) bool {
		switch key {
		case "slug":
			spec.Slug = p.scalar(v, key)
		case "name":
			spec.Name = p.scalar(v, key)
		case "timezone":
			spec.Timezone = p.scalar(v, key)
		case "numbers":
			spec.Numbers = p.list(v, key)
		case "opening_hours":
			p.openingHours(v, spec)
		case "public_holidays":
			switch s := p.scalar(v, key); s {
			case "closed":
			case "open":
				spec.Hours.HolidaysOpen = true
			default:
				p.errs.add(key, "%q is not closed or open", s)
			}
		case "holiday_hours":
			spec.Hours.HolidayHours = p.spans(v, key)
		case "identification":
			spec.Policy = oncall.Policy(p.scalar(v, key))
		case "ring_timeout":
			spec.RingTimeout = p.duration(v, key)
		case "hunt_timeout":
			spec.HuntTimeout = p.duration(v, key)
		case "coordinator":
			p.mapping(v, key, func(sub string, v *yaml.Node) bool {
				switch sub {
				case "phone":
					spec.CoordinatorPhone = p.scalar(v, key+"."+sub)
				case "email":
					spec.CoordinatorEmail = p.scalar(v, key+"."+sub)
				default:
					return false
				}
				return true
			})
		case "coverage":
			p.mapping(v, key, func(sub string, v *yaml.Node) bool {
				switch sub {
				case "communes":
					spec.Communes = p.list(v, key+"."+sub)
				case "departements":
					spec.Departements = p.list(v, key+"."+sub)
				default:
					return false
				}
				return true
			})
		case "specialties":
			p.specialties(v, spec)
		case "gp_trace":
			switch b := p.scalar(v, key); b {
			case "true", "yes", "on":
				spec.NoGPTrace = false
			case "false", "no", "off":
				spec.NoGPTrace = true
			default:
				p.errs.add(key, "%q is not true or false", b)
			}
		case "video_room_url":
			spec.VideoURL = p.scalar(v, key)
		default:
			return false
		}
		return true
	})
}

func (p *specParser) openingHours(n *yaml.Node, spec *TerritorySpec) {
	p.mapping(n, "opening_hours", func(key string, v *yaml.Node) bool {
		for wd, name := range weekdayKeys {
			if key == name {
				spec.Hours.Weekly[wd] = p.spans(v, "opening_hours."+key)
				return true
			}
		}
		return false
	})
}

func (p *specParser) specialties(n *yaml.Node, spec *TerritorySpec) {
	p.at(n, "specialties")
	if n.Kind != yaml.SequenceNode {
		p.errs.add("specialties", "expected a list of specialties")
		return
	}
	for i, item := range n.Content {
		field := fmt.Sprintf("specialties[%d]", i)
		var sp SpecialtySpec
		p.mapping(item, field, func(key string, v *yaml.Node) bool {
			sub := field + "." + key
			switch key {
			case "slug":
				sp.Slug = p.scalar(v, sub)
			case "label":
				sp.Label = p.scalar(v, sub)
			case "digit":
				sp.Digit = p.integer(v, sub)
			case "savoir_faire":
				sp.SavoirFaire = p.list(v, sub)
			case "fallback":
				p.mapping(v, sub, func(fk string, v *yaml.Node) bool {
					switch fk {
					case "label":
						sp.FallbackLabel = p.scalar(v, sub+".label")
					case "phone":
						sp.FallbackPhone = p.scalar(v, sub+".phone")
					default:
						return false
					}
					return true
				})
			default:
				return false
			}
			return true
		})
		spec.Specialties = append(spec.Specialties, sp)
	}
}
