package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/netpolicy"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// apiHandler is the team's API. Each route is protected in one line and
// picks how its tokens are checked: GET and PUT /profile verify the JWT
// locally, GET /profile/introspected asks the issuer about each token. The
// app's origin alone may call it from a browser.
func apiHandler(jwt, intro tokengate.TokenVerifier, appOrigin string, now func() time.Time) http.Handler {
	p := newProfiles(now)
	mux := http.NewServeMux()
	mux.Handle("GET /profile", middleware.Require(jwt, scopes.All("profile:read"))(p.read("local JWT")))
	mux.Handle("PUT /profile", middleware.Require(jwt, scopes.All("profile:write"))(p.write()))
	mux.Handle("GET /profile/introspected", middleware.Require(intro, scopes.All("profile:read"))(p.read("introspection")))
	return corsPolicy{origin: appOrigin, methods: []string{"GET", "PUT"}}.wrap(mux)
}

// Bounds of the API's data.
const (
	maxProfiles     = 1000
	maxReads        = 8 // recent reads kept per profile
	maxProfileBody  = 4 << 10
	maxNameRunes    = 80
	maxBioRunes     = 280
	profileNotFound = "no profile"
)

// profile is what the API keeps about a user.
type profile struct {
	Subject string `json:"sub"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	Bio     string `json:"bio"`
	reads   []read
}

// read is one request that read a profile: the API's own access log, so
// that the user sees who read it.
type read struct {
	ClientID  string    `json:"client_id"`
	CheckedBy string    `json:"checked_by"`
	At        time.Time `json:"at"`
}

// profiles are the users' profiles, made on first use from the test
// issuer's users.
type profiles struct {
	now func() time.Time

	mu sync.Mutex // guards m and each profile in it
	m  map[string]*profile
}

func newProfiles(now func() time.Time) *profiles {
	p := &profiles{now: now, m: map[string]*profile{}}
	for _, u := range issuertest.DefaultUsers() {
		p.m[u.Subject] = &profile{Subject: u.Subject, Name: u.Name, Email: u.Email}
	}
	return p
}

// answer is the API's response: the profile, and what the API was told
// about the caller.
type answer struct {
	profile
	Reads     []read   `json:"recent_reads"`
	CheckedBy string   `json:"checked_by"`
	ClientID  string   `json:"client_id"`
	Scopes    []string `json:"scopes"`
	Expires   string   `json:"token_expires_at"`
}

func (p *profiles) read(checkedBy string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := verifier.FromContext(r.Context())
		p.mu.Lock()
		pr, ok := p.m[c.Subject]
		var a answer
		if ok {
			pr.reads = append(pr.reads, read{ClientID: c.ClientID, CheckedBy: checkedBy, At: p.now().UTC()})
			pr.reads = pr.reads[max(0, len(pr.reads)-maxReads):]
			a = answerFor(pr, c, checkedBy)
		}
		p.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": profileNotFound})
			return
		}
		writeJSON(w, http.StatusOK, a)
	})
}

// answerFor copies a profile for a response; p.mu is held.
func answerFor(pr *profile, c *tokengate.Claims, checkedBy string) answer {
	return answer{
		profile: *pr, Reads: append([]read(nil), pr.reads...), CheckedBy: checkedBy,
		ClientID: c.ClientID, Scopes: c.Scopes, Expires: c.ExpiresAt.UTC().Format(time.RFC3339),
	}
}

// profileChange is the body of PUT /profile.
type profileChange struct {
	Name string `json:"name"`
	Bio  string `json:"bio"`
}

func (p *profiles) write() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := verifier.FromContext(r.Context())
		change, status, err := readChange(r)
		if err != nil {
			writeJSON(w, status, map[string]string{"error": err.Error()})
			return
		}
		p.mu.Lock()
		pr, ok := p.m[c.Subject]
		if !ok && len(p.m) < maxProfiles {
			pr, ok = &profile{Subject: c.Subject}, true
			p.m[c.Subject] = pr
		}
		var a answer
		if ok {
			pr.Name, pr.Bio = change.Name, change.Bio
			a = answerFor(pr, c, "local JWT")
		}
		p.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusInsufficientStorage, map[string]string{"error": "too many profiles"})
			return
		}
		writeJSON(w, http.StatusOK, a)
	})
}

// readChange reads and checks a PUT /profile body: JSON, at most
// maxProfileBody bytes, no unknown members, a name of 1 to 80 characters
// and a bio of at most 280, printable. The error names the check.
func readChange(r *http.Request) (profileChange, int, error) {
	var c profileChange
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != "application/json" {
		return c, http.StatusUnsupportedMediaType, errors.New("the body must be application/json")
	}
	body, err := netpolicy.ReadBody(r.Body, maxProfileBody)
	if err != nil {
		return c, http.StatusRequestEntityTooLarge, errors.New("the body is larger than 4 KiB")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || dec.More() {
		return c, http.StatusBadRequest, errors.New(`the body must be one JSON object {"name": "...", "bio": "..."}`)
	}
	c.Name, c.Bio = strings.TrimSpace(c.Name), strings.TrimSpace(c.Bio)
	switch {
	case c.Name == "" || utf8.RuneCountInString(c.Name) > maxNameRunes:
		return c, http.StatusBadRequest, errors.New("the name must have 1 to 80 characters")
	case utf8.RuneCountInString(c.Bio) > maxBioRunes:
		return c, http.StatusBadRequest, errors.New("the bio must have at most 280 characters")
	case !printable(c.Name) || !printable(c.Bio):
		return c, http.StatusBadRequest, errors.New("the name and bio must be printable text")
	}
	return c, http.StatusOK, nil
}

func printable(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
