package console

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

// calendarFeeds is what the console needs of the roster's calendar
// subscriptions (roster owns calendar_feed and calendar_event).
type calendarFeeds interface {
	IssueFeed(ctx context.Context, territoryID int64, target roster.FeedTarget, now time.Time) (string, error)
	RevokeFeed(ctx context.Context, territoryID int64, target roster.FeedTarget, now time.Time) error
	LiveFeeds(ctx context.Context, territoryID int64) ([]roster.Feed, error)
	WriteFeed(ctx context.Context, w io.Writer, token string, now time.Time) error
}

// feedFile serves a calendar subscription: no login (a calendar app cannot
// log in), the token in the address is the credential. An unknown or
// revoked token answers 404, as any missing page.
func (c *console) feedFile(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimSuffix(r.PathValue("token"), ".ics")
	var buf bytes.Buffer
	err := c.feeds.WriteFeed(r.Context(), &buf, token, c.clock.Now())
	if errors.Is(err, oncall.ErrNotFound) {
		http.Error(w, "agenda introuvable ou révoqué", http.StatusNotFound)
		return
	}
	if err != nil {
		c.log.Error("console: calendar feed", zap.Error(err))
		http.Error(w, "erreur interne", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/calendar; charset=utf-8")
	h.Set("Content-Disposition", `inline; filename="gardes.ics"`)
	h.Set("Cache-Control", "private, no-cache")
	h.Set("X-Robots-Tag", "noindex")
	_, _ = w.Write(buf.Bytes())
}

// feedAddresses are the ways to subscribe to a feed.
type feedAddresses struct {
	HTTPS  string       // for Google Agenda (« À partir de l'URL »)
	Webcal template.URL // opens the calendar app (Apple, Outlook)
	Google template.URL
}

// feedBase is where calendar apps reach the console: ConsoleOptions
// PublicURL, or the address this request came to.
func (c *console) feedBase(r *http.Request) string {
	if c.publicURL != "" {
		return strings.TrimRight(c.publicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (c *console) feedAddressesOf(r *http.Request, token string) feedAddresses {
	u := c.feedBase(r) + "/agenda/" + token + ".ics"
	webcal := "webcal://" + strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	// Built here from the configured base and a base64url token: trusted.
	return feedAddresses{HTTPS: u, Webcal: template.URL(webcal),
		Google: template.URL("https://calendar.google.com/calendar/r?cid=" + url.QueryEscape(webcal))}
}

// feedTargetOf reads which calendar a form is about and where to go back.
func (c *console) feedTargetOf(r *http.Request) (roster.FeedTarget, string, string, bool) {
	v := visitOf(r)
	back := r.PostFormValue("retour")
	if !strings.HasPrefix(back, "/t/"+v.current.Slug+"/") || strings.Contains(back, "//") {
		back = "/t/" + v.current.Slug + "/"
	}
	if rpps := r.PostFormValue("rpps"); rpps != "" {
		return roster.FeedTarget{RPPS: rpps}, back, r.PostFormValue("nom"), true
	}
	id, err := strconv.ParseInt(r.PostFormValue("specialite"), 10, 64)
	if err != nil || id <= 0 {
		return roster.FeedTarget{}, back, "", false
	}
	return roster.FeedTarget{SpecialtyID: id}, back, r.PostFormValue("nom"), true
}

type feedIssued struct {
	Who  string
	Back string
	feedAddresses
}

// feedIssue creates a subscription address and shows it, once.
func (c *console) feedIssue(w http.ResponseWriter, r *http.Request) {
	r = actorContext(r)
	v := visitOf(r)
	target, back, who, ok := c.feedTargetOf(r)
	if !ok {
		c.notFound(w, r)
		return
	}
	token, err := c.feeds.IssueFeed(r.Context(), v.current.ID, target, c.clock.Now())
	if errors.Is(err, oncall.ErrNotFound) {
		c.notFound(w, r)
		return
	}
	if err != nil {
		c.serverError(w, r, "issue calendar feed", err)
		return
	}
	c.render(w, r, http.StatusOK, "calendar-link", page{Title: "Abonnement à l'agenda", Section: sectionOf(back),
		Data: feedIssued{Who: who, Back: back, feedAddresses: c.feedAddressesOf(r, token)}})
}

// feedRevoke ends a subscription address.
func (c *console) feedRevoke(w http.ResponseWriter, r *http.Request) {
	r = actorContext(r)
	v := visitOf(r)
	target, back, _, ok := c.feedTargetOf(r)
	if !ok {
		c.notFound(w, r)
		return
	}
	err := c.feeds.RevokeFeed(r.Context(), v.current.ID, target, c.clock.Now())
	if err != nil && !errors.Is(err, oncall.ErrNotFound) {
		c.serverError(w, r, "revoke calendar feed", err)
		return
	}
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	http.Redirect(w, r, back+sep+"ok=agenda-revoque", http.StatusSeeOther)
}

// sectionOf is the menu section of a console address.
func sectionOf(path string) string {
	parts := strings.SplitN(path, "/", 5)
	if len(parts) < 4 {
		return ""
	}
	s, _, _ := strings.Cut(parts[3], "?")
	return s
}

// liveFeed finds the live subscription of a target among a territory's.
func (c *console) liveFeed(r *http.Request, target roster.FeedTarget) (*roster.Feed, error) {
	feeds, err := c.feeds.LiveFeeds(r.Context(), visitOf(r).current.ID)
	if err != nil {
		return nil, err
	}
	for _, f := range feeds {
		if (target.RPPS != "" && f.RPPS == target.RPPS) || (target.SpecialtyID != 0 && f.SpecialtyID == target.SpecialtyID) {
			return &f, nil
		}
	}
	return nil, nil
}

// feedBox is the « Agenda des gardes » box of a specialist's page and of
// the Planning page.
type feedBox struct {
	Live        *roster.Feed
	Hint        string
	Slug, CSRF  string
	Back, Who   string
	RPPS        string
	SpecialtyID int64
}

func (c *console) feedBoxOf(r *http.Request, target roster.FeedTarget, back, who, hint string) (feedBox, error) {
	v := visitOf(r)
	live, err := c.liveFeed(r, target)
	if err != nil {
		return feedBox{}, err
	}
	return feedBox{Live: live, Hint: hint, Slug: v.current.Slug, CSRF: v.sess.CSRFToken, Back: back, Who: who,
		RPPS: target.RPPS, SpecialtyID: target.SpecialtyID}, nil
}
