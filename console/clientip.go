package console

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/regul-sante/regul/accounts"
)

// clientInfo is what is kept of the browser in sessions, login attempts
// and the audit log. The address is the peer's, unless the peer is one of
// console.trusted_proxies: then X-Forwarded-For is read from the right, each
// trusted proxy's hop skipped, and the first address not trusted is the
// client. A header from anyone else is ignored: it would let a client pick
// the address its failures are counted against. The forwarded address
// serves the login rate limits and the audit log only; nothing is
// authorised by it.
func (c *console) clientInfo(r *http.Request) accounts.ClientInfo {
	return accounts.ClientInfo{RemoteIP: clientIP(r, c.trustedProxies), UserAgent: r.UserAgent()}
}

func clientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !isTrusted(peer, trusted) {
		return host
	}
	hops := forwardedFor(r.Header.Values("X-Forwarded-For"))
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			break // garbage: the last trusted hop is the best we know
		}
		client = a.Unmap()
		if !isTrusted(client, trusted) {
			break
		}
	}
	return client.String()
}

// forwardedFor splits the X-Forwarded-For headers into hops, in order.
func forwardedFor(values []string) []string {
	var hops []string
	for _, v := range values {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hops = append(hops, h)
			}
		}
	}
	return hops
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
