package wiring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/regul-sante/regul/internal/config"
)

// beatVariable is the Asterisk global variable the active controller
// rewrites every ha.renew_interval: "<unix ms> <token> <holder>".
const beatVariable = "REGUL_CONTROLLER"

// ariWitness is the node's Asterisk as the lease's witness (see package
// lease): the active tells it that it drives the node, a standby asks it
// whether anyone still does. Plain ARI REST: it must work without the
// events WebSocket, which only the active holds.
//
// Asterisk answers GET /applications/{app} with 404 while no WebSocket
// is connected for the application, but only while the application has no
// channel: the channels of a controller that died keep it listed. Hence
// the beat, whose age tells a live controller from a dead one.
type ariWitness struct {
	base, user, pass, app string
	client                *http.Client
	// driving says whether this process's events link is up: a beat
	// without it would keep a term that drives nothing.
	driving func() bool
}

func newARIWitness(c config.ARI, driving func() bool) *ariWitness {
	return &ariWitness{base: strings.TrimSuffix(c.URL, "/"), user: c.Username, pass: c.Password, app: c.Application,
		client: &http.Client{Timeout: c.RequestTimeout}, driving: driving}
}

func (w *ariWitness) Beat(ctx context.Context, holder string, token int64, at time.Time) error {
	if !w.driving() {
		return errors.New("the ARI events link is down")
	}
	v := fmt.Sprintf("%d %d %s", at.UnixMilli(), token, holder)
	q := url.Values{"variable": {beatVariable}, "value": {v}}
	_, err := w.do(ctx, http.MethodPost, "/asterisk/variable", q)
	return err
}

// Resign clears the beat if it is still this holder's.
func (w *ariWitness) Resign(ctx context.Context, holder string, token int64) error {
	body, err := w.get(ctx, "/asterisk/variable", url.Values{"variable": {beatVariable}})
	if err != nil {
		return err
	}
	var got struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		return fmt.Errorf("read %s: %w", beatVariable, err)
	}
	if f := strings.SplitN(got.Value, " ", 3); len(f) != 3 || f[1] != strconv.FormatInt(token, 10) || f[2] != holder {
		return nil // another holder's beat, or none
	}
	_, err = w.do(ctx, http.MethodPost, "/asterisk/variable", url.Values{"variable": {beatVariable}, "value": {""}})
	return err
}

func (w *ariWitness) Alive(ctx context.Context, now time.Time, ttl time.Duration) (bool, string, error) {
	status, err := w.do(ctx, http.MethodGet, "/applications/"+url.PathEscape(w.app), nil)
	if status == http.StatusNotFound {
		return false, "", nil // no WebSocket and no channel: nobody drives the node
	}
	if err != nil {
		return false, "", err
	}
	var got struct {
		Value string `json:"value"`
	}
	body, err := w.get(ctx, "/asterisk/variable", url.Values{"variable": {beatVariable}})
	if err != nil {
		return false, "", err
	}
	if err := json.Unmarshal(body, &got); err != nil {
		return false, "", fmt.Errorf("read %s: %w", beatVariable, err)
	}
	fields := strings.SplitN(got.Value, " ", 3)
	ms, perr := strconv.ParseInt(fields[0], 10, 64)
	if len(fields) != 3 || perr != nil {
		// Never beaten (an Asterisk restarted since): the application is
		// listed for the channels a dead controller left.
		return false, "", nil
	}
	return now.Sub(time.UnixMilli(ms)) < ttl, fields[2], nil
}

func (w *ariWitness) do(ctx context.Context, method, path string, q url.Values) (int, error) {
	status, _, err := w.request(ctx, method, path, q)
	return status, err
}

func (w *ariWitness) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	_, body, err := w.request(ctx, http.MethodGet, path, q)
	return body, err
}

func (w *ariWitness) request(ctx context.Context, method, path string, q url.Values) (int, []byte, error) {
	u := w.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("ARI %s %s: %w", method, path, err)
	}
	req.SetBasicAuth(w.user, w.pass)
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("ARI %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("ARI %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, body, fmt.Errorf("ARI %s %s: %s", method, path, resp.Status)
	}
	return resp.StatusCode, body, nil
}
