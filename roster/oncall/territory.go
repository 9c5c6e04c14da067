package oncall

import (
	"fmt"
	"strings"
)

// SpecialtyNamed finds one of the territory's specialties by slug or label,
// ignoring case.
func (t Territory) SpecialtyNamed(name string) (Specialty, bool) {
	for _, sp := range t.Specialties {
		if strings.EqualFold(sp.Slug, name) || strings.EqualFold(sp.Label, name) {
			return sp, true
		}
	}
	return Specialty{}, false
}

// SpecialtyBySlug finds one of the territory's specialties by slug (or
// label), ignoring case; ErrNotFound names the known ones.
func (t Territory) SpecialtyBySlug(name string) (Specialty, error) {
	if sp, ok := t.SpecialtyNamed(name); ok {
		return sp, nil
	}
	return Specialty{}, fmt.Errorf("specialty %q in %s (known: %s): %w", name, t.Slug, t.SpecialtySlugs(), ErrNotFound)
}

// SpecialtyByID is the territory's specialty with that id, or a placeholder
// naming the id when the territory no longer has it.
func (t Territory) SpecialtyByID(id int64) Specialty {
	for _, sp := range t.Specialties {
		if sp.ID == id {
			return sp
		}
	}
	return Specialty{ID: id, Slug: fmt.Sprintf("specialty#%d", id)}
}

// SpecialtySlugs lists the territory's specialties for error messages.
func (t Territory) SpecialtySlugs() string {
	names := make([]string, len(t.Specialties))
	for i, sp := range t.Specialties {
		names[i] = sp.Slug
	}
	return strings.Join(names, ", ")
}
