package ivr

import (
	"fmt"
	"strconv"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/calllog/callevent"
)

// chooseSpecialty asks which specialty the GP wants an opinion in; a
// territory with a single specialty skips the question.
func (s *Script) chooseSpecialty(c *call) error {
	specialties := c.territory.Specialties
	switch len(specialties) {
	case 0:
		return fmt.Errorf("territory %s has no specialty to offer", c.territory.Slug)
	case 1:
		s.chose(c, 0)
		return nil
	}
	items := s.menuItems(c)
	ask := append([]string{s.prompts.media(pMenuIntro)}, items...)
	for try := 1; ; try++ {
		if err := c.gp.Play(c.ctx, true, ask...); err != nil {
			return fmt.Errorf("specialty menu: %w", err)
		}
		key, ok, err := readChoice(c.ctx, c.gp, s.opt.FirstDigitTimeout)
		if err != nil {
			return fmt.Errorf("specialty menu: %w", err)
		}
		if ok {
			for i, sp := range specialties {
				if key == byte('0'+sp.Digit) {
					s.chose(c, i)
					return nil
				}
			}
		}
		c.gp.FlushDigits()
		problem := pChoiceInvalid
		if !ok {
			problem = pNoInput
		}
		c.log.Info("menu choice rejected", zap.String("problem", problem), zap.Int("try", try))
		if try == s.opt.MaxTries {
			return s.refuse(c, reasonNoChoice, problem, pTooManyTries)
		}
		ask = append([]string{s.prompts.media(problem)}, items...)
	}
}

// menuItems says "pour un avis en <spécialité>, tapez <n>" per specialty.
func (s *Script) menuItems(c *call) []string {
	var media []string
	for _, sp := range c.territory.Specialties {
		media = append(media,
			s.prompts.media(pMenuFor),
			"sound:"+SpecialtySound(c.territory.Slug, sp.Slug),
			s.prompts.media(pMenuPress),
			"digits:"+strconv.Itoa(sp.Digit))
	}
	return media
}

func (s *Script) chose(c *call, i int) {
	sp := c.territory.Specialties[i]
	c.specialty = sp
	c.log = c.log.With(zap.String("specialty", sp.Slug))
	c.log.Info("specialty chosen")
	s.record(c, callevent.Event{Kind: callevent.SpecialtyChosen, SpecialtyID: sp.ID, Specialty: sp.Slug})
}
