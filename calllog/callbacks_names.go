package calllog

import "context"

// CallbackNames is the owner of the practitioners and specialties (roster),
// as the callback lists name who asked, who was rung and who calls back.
type CallbackNames interface {
	// PractitionerFullNames is "First Last" per RPPS in the directory.
	PractitionerFullNames(ctx context.Context, rpps []string) (map[string]string, error)
	SpecialtyLabels(ctx context.Context, ids []int64) (map[int64]string, error)
}

// WithNames returns a store whose callback lists carry names.
func (s *Store) WithNames(names CallbackNames) *Store {
	named := *s
	named.names = names
	return &named
}

// nameCallbacks fills the names of the requests' GPs, rung specialists and
// claimers (ClaimBy holds the claimer's RPPS until then: an RPPS not in the
// directory stays as it is) and their specialties' labels.
func (s *Store) nameCallbacks(ctx context.Context, list []Callback) error {
	if len(list) == 0 {
		return nil
	}
	var rpps []string
	var specialties []int64
	for _, c := range list {
		rpps = append(rpps, c.GPRPPS, c.ClaimBy)
		for _, l := range c.Chain {
			rpps = append(rpps, l.RPPS)
		}
		specialties = append(specialties, c.SpecialtyID)
	}
	names, err := s.names.PractitionerFullNames(ctx, rpps)
	if err != nil {
		return err
	}
	labels, err := s.names.SpecialtyLabels(ctx, specialties)
	if err != nil {
		return err
	}
	for i := range list {
		c := &list[i]
		c.GPName = names[c.GPRPPS]
		if name, ok := names[c.ClaimBy]; ok {
			c.ClaimBy = name
		}
		c.Specialty = labels[c.SpecialtyID]
		for j := range c.Chain {
			c.Chain[j].Name = names[c.Chain[j].RPPS]
		}
	}
	return nil
}
