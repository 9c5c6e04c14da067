package wiring

import (
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/internal/clock"
	"github.com/regul-sante/regul/internal/config"
	"github.com/regul-sante/regul/notify"
	"github.com/regul-sante/regul/roster"
)

// newSMS builds the outbox (fed by the call-record applier), its worker and
// the daily coverage digest.
// Without Twilio credentials the worker sends nothing and says so once; the
// outbox keeps filling until they are configured.
func newSMS(cfg *config.Config, pool *pgxpool.Pool, store *roster.Store, clk clock.Clock, log *zap.Logger) (*notify.Outbox, *notify.Worker, *notify.Digest, error) {
	outbox, err := notify.NewOutbox(notify.OutboxOptions{Log: log, Clock: clk, PublicURL: cfg.Notify.PublicURL, LinkTTL: cfg.Notify.LinkTTL,
		CallbackLinkTTL: cfg.Notify.CallbackLinkTTL, Owners: NotifyOwners(pool)})
	if err != nil {
		return nil, nil, nil, err
	}
	var sender notify.Sender
	if cfg.Twilio.Enabled() {
		tw, err := notify.NewTwilio(notify.TwilioOptions{AccountSID: cfg.Twilio.AccountSID, AuthToken: cfg.Twilio.AuthToken,
			From: cfg.Twilio.From, APIURL: cfg.Twilio.APIURL, Timeout: cfg.Twilio.Timeout})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("twilio.*: %w", err)
		}
		sender = tw
		log.Info("SMS sending on", zap.String("account_sid", cfg.Twilio.AccountSID), zap.String("api_url", cfg.Twilio.APIURL))
	}
	worker, err := notify.NewWorker(notify.WorkerOptions{Pool: pool, Log: log, Sender: sender, Clock: clk,
		PollInterval: cfg.Notify.PollInterval, Lease: cfg.Notify.Lease, MaxBackoff: cfg.Notify.MaxBackoff,
		MaxAttempts: cfg.Notify.MaxAttempts})
	if err != nil {
		return nil, nil, nil, err
	}
	digest, err := notify.NewDigest(notify.DigestOptions{Pool: pool, Roster: store, Log: log, Clock: clk, At: cfg.Notify.DigestAt})
	if err != nil {
		return nil, nil, nil, err
	}
	return outbox, worker, digest, nil
}
