package service

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/config"
	"github.com/regul-sante/regul/notify"
)

// newSMS builds the outbox (fed by the call-record applier) and its worker.
// Without Twilio credentials the worker sends nothing and says so once; the
// outbox keeps filling until they are configured.
func newSMS(cfg *config.Config, pool *pgxpool.Pool, now func() time.Time, log *zap.Logger) (*notify.Outbox, *notify.Worker, error) {
	outbox, err := notify.NewOutbox(notify.OutboxOptions{Log: log, Now: now, PublicURL: cfg.Notify.PublicURL, LinkTTL: cfg.Notify.LinkTTL})
	if err != nil {
		return nil, nil, err
	}
	var sender notify.Sender
	if cfg.Twilio.Enabled() {
		tw, err := notify.NewTwilio(notify.TwilioOptions{AccountSID: cfg.Twilio.AccountSID, AuthToken: cfg.Twilio.AuthToken,
			From: cfg.Twilio.From, APIURL: cfg.Twilio.APIURL, Timeout: cfg.Twilio.Timeout})
		if err != nil {
			return nil, nil, fmt.Errorf("twilio.*: %w", err)
		}
		sender = tw
		log.Info("SMS sending on", zap.String("account_sid", cfg.Twilio.AccountSID), zap.String("api_url", cfg.Twilio.APIURL))
	}
	worker, err := notify.NewWorker(notify.WorkerOptions{Pool: pool, Log: log, Sender: sender, Now: now,
		PollInterval: cfg.Notify.PollInterval, Lease: cfg.Notify.Lease, MaxBackoff: cfg.Notify.MaxBackoff,
		MaxAttempts: cfg.Notify.MaxAttempts})
	if err != nil {
		return nil, nil, err
	}
	return outbox, worker, nil
}
