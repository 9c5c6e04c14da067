package wiring

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/accounts"
	"github.com/regul-sante/regul/console"
	"github.com/regul-sante/regul/internal/config"
	"github.com/regul-sante/regul/notify"
)

// Console is the coordinators' console (and the specialists' outcome-link
// pages) served on console.listen.
type Console struct {
	srv  *http.Server
	addr string
	tls  bool
}

// StartConsole serves the console until Close. `regul serve` starts it
// beside the controller; `regul console` alone.
// spool, when not nil, is the controller's call-record spool, whose
// quarantined lines the home page lists.
// callbacks, when not nil, places the callbacks through the line that the
// specialists' links start (`regul console` alone serves no such link).
func StartConsole(cfg *config.Config, pool *pgxpool.Pool, log *zap.Logger, spool console.SpoolQuarantine, callbacks console.CallbackLinks) (*Console, error) {
	key, err := cfg.Console.TOTPKeyBytes()
	if err != nil {
		return nil, fmt.Errorf("console.totp_key: %w", err)
	}
	if key == nil {
		log.Warn("console.totp_key is not set: TOTP secrets are stored unsealed")
	}
	proxies, err := cfg.Console.TrustedProxyPrefixes()
	if err != nil {
		return nil, fmt.Errorf("console.trusted_proxies: %w", err)
	}
	deps, err := ConsoleDeps(pool, accounts.Options{TOTPKey: key,
		Policy: ConsolePolicy(cfg.Console.SessionIdle, cfg.Console.SessionMax)})
	if err != nil {
		return nil, err
	}
	h, err := console.NewConsole(console.ConsoleOptions{
		Deps: deps, Logger: log, SecureCookies: cfg.Console.SecureCookies, TrustedProxies: proxies,
		Links: notify.NewLinks(pool, NotifyOwners(pool)), Spool: spool, PublicURL: cfg.Notify.PublicURL, SMSOff: !cfg.Twilio.Enabled(),
		Callbacks: callbacks,
	})
	if err != nil {
		return nil, err
	}
	tlsConfig, err := cfg.Console.TLS()
	if err != nil {
		return nil, fmt.Errorf("console.tls_cert: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Console.Listen)
	if err != nil {
		return nil, fmt.Errorf("console.listen %s: %w", cfg.Console.Listen, err)
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	c := &Console{addr: ln.Addr().String(), tls: tlsConfig != nil,
		srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: zap.NewStdLog(log)}}
	go func() {
		if err := c.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("console stopped", zap.Error(err))
		}
	}()
	return c, nil
}

// Addr is where the console listens.
func (c *Console) Addr() string { return c.addr }

// URL is the console's home page.
func (c *Console) URL() string {
	if c.tls {
		return "https://" + c.addr + "/"
	}
	return "http://" + c.addr + "/"
}

// Close stops the console, letting requests in flight end until ctx does.
func (c *Console) Close(ctx context.Context) error {
	return c.srv.Shutdown(ctx)
}
