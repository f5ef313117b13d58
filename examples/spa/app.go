package main

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

// web holds the single-page app: static HTML, CSS and plain JavaScript
// modules, no framework and no build step.
//
//go:embed web
var web embed.FS

// appSettings are the origins the app talks to, served as /config.json.
type appSettings struct {
	app, api, analytics, issuer string
}

// appHandler serves the app. Its Content-Security-Policy allows scripts
// and styles from the app's origin only, and fetches to the issuer, the
// API and analytics alone, so that an injected script could neither run
// nor send the tokens the page holds anywhere else. No Referer leaves the
// page, so that the code in the redirect's query is not sent on.
func appHandler(s appSettings) http.Handler {
	files, _ := fs.Sub(web, "web") // the embedded directory exists
	static := http.FileServerFS(files)
	csp := strings.Join([]string{
		"default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'",
		"connect-src 'self' " + s.issuer + " " + s.api + " " + s.analytics,
		"form-action 'none'", "base-uri 'none'", "frame-ancestors 'none'",
	}, "; ")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{
			"issuer": s.issuer, "client_id": appClientID, "redirect_uri": s.app + "/",
			"scope": "openid profile email profile:read profile:write",
			"api":   s.api, "analytics": s.analytics,
		})
	})
	mux.Handle("GET /", static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		mux.ServeHTTP(w, r)
	})
}
