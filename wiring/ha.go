package wiring

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/regul-sante/regul/console"
	"github.com/regul-sante/regul/internal/config"
	"github.com/regul-sante/regul/internal/lease"
)

// newElector, with ha.enabled, prepares the node's controller lease, and
// registers regul_ha_active. Without it, the process is the only controller
// and counts as active.
func (s *Service) newElector(cfg *config.Config, o Options) error {
	s.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "regul_ha_active",
		Help: "1 while this controller holds the lease of its Asterisk node and drives ARI (always 1 without ha.enabled), 0 on standby."},
		func() float64 {
			if s.elector == nil {
				return 1
			}
			if active, _, _ := s.elector.Active(); active {
				return 1
			}
			return 0
		}))
	if !cfg.HA.Enabled {
		return nil
	}
	// The node's Asterisk witnesses who drives it: the active outlives a
	// database outage, a standby never takes over a node still driven.
	witness := newARIWitness(cfg.ARI, func() bool { return s.linked.Load() && s.ari.LinkUp() })
	e, err := lease.New(lease.Options{Pool: o.Pool, Node: cfg.HA.Node, ID: cfg.HA.ID, RenewInterval: cfg.HA.RenewInterval,
		TTL: cfg.HA.LeaseTTL, Log: s.log.Named("ha"), Witness: witness})
	if err != nil {
		return err
	}
	s.elector = e
	return nil
}

// holdLease, with ha.enabled, waits until this process holds the lease (a
// standby waits here, its /readyz and /metrics served) before the ARI link
// is opened.
func (s *Service) holdLease(ctx context.Context, cfg *config.Config) error {
	if s.elector == nil {
		return nil
	}
	var err error
	hold, stop := context.WithCancel(context.Background())
	s.stopHold = stop
	if s.term, err = s.elector.Acquire(ctx, hold); err != nil {
		return fmt.Errorf("wait for the controller lease of ha.node %s: %w", cfg.HA.Node, err)
	}
	return nil
}

// haCheck tells active from standby on /readyz. Both answer 200: a standby
// is healthy, ready to take over; it just does not drive Asterisk.
func (s *Service) haCheck(context.Context) error {
	active, token, holder := s.elector.Active()
	if active {
		if s.elector.Degraded() {
			return &console.Notice{Text: fmt.Sprintf("active (lease token %d), database unreachable: kept while Asterisk sees this controller", token)}
		}
		return &console.Notice{Text: fmt.Sprintf("active (lease token %d)", token)}
	}
	if holder == "" {
		holder = "nobody yet"
	}
	return &console.Notice{Text: "standby: the controller lease is held by " + holder}
}
