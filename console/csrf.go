package console

import (
	"crypto/subtle"
	"net/http"
	"net/url"
)

// csrfField and csrfHeader carry the session's CSRF token on every
// state-changing request: the form field for HTML forms, the header for
// scripts.
const (
	csrfField  = "csrf"
	csrfHeader = "X-CSRF-Token"
)

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// csrfOK checks the token of a POST, PUT, PATCH or DELETE against the
// session's; safe methods pass.
func (c *console) csrfOK(r *http.Request, want string) bool {
	if safeMethod(r.Method) {
		return true
	}
	got := r.Header.Get(csrfHeader)
	if got == "" {
		got = r.PostFormValue(csrfField)
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// protect adds the headers every page carries and refuses cross-origin
// state-changing requests (Sec-Fetch-Site / Origin through the standard
// library, and Referer when a browser sends neither).
func (c *console) protect(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(c.forbidden))
	guarded := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if !safeMethod(r.Method) && r.Header.Get("Origin") == "" && r.Header.Get("Sec-Fetch-Site") == "" {
			if ref := r.Header.Get("Referer"); ref != "" {
				u, err := url.Parse(ref)
				if err != nil || u.Host != r.Host {
					c.forbidden(w, r)
					return
				}
			}
		}
		guarded.ServeHTTP(w, r)
	})
}
