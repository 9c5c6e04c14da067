package wiring

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/regul-sante/regul/internal/config"
)

// With ha.enabled a lone controller takes the node's lease before opening
// ARI, says so on /readyz and /metrics, and releases the lease on Close so
// that a standby would take over at once.
func TestHAControllerTakesTheLeaseBeforeARI(t *testing.T) {
	l := newLine(t, withConfig(func(c *config.Config) { c.HA.Enabled, c.HA.Node, c.HA.ID = true, "asterisk-a", "regul-a" }))
	code, body := get(t, "http://"+l.svc.HTTPAddr()+"/readyz")
	if code != http.StatusOK || !strings.Contains(body, `"ha":"active (lease token 1)"`) {
		t.Errorf("/readyz of the active = %d %s", code, body)
	}
	if _, metrics := get(t, "http://"+l.svc.HTTPAddr()+"/metrics"); !strings.Contains(metrics, "regul_ha_active 1") {
		t.Error("regul_ha_active is not 1 on the active controller")
	}
	l.close()
	var expires, now time.Time
	if err := l.pool.QueryRow(context.Background(), `SELECT expires_at, now() FROM controller_lease WHERE node = 'asterisk-a'`).
		Scan(&expires, &now); err != nil {
		t.Fatal(err)
	}
	if expires.After(now) {
		t.Errorf("the lease was not released on Close: expires %s, now %s", expires, now)
	}
}
