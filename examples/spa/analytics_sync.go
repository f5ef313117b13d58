package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokengate/tokengate/internal/netpolicy"
)

// syncRun is one time analytics read a profile, as the app shows it.
type syncRun struct {
	At      time.Time `json:"at"`
	Trigger string    `json:"trigger"`
	Steps   []step    `json:"steps"`
}

// step is one request of a sync and its answer. Tokens appear shortened.
type step struct {
	What    string `json:"what"`
	Route   string `json:"route"`
	Status  int    `json:"status"`
	Outcome string `json:"outcome"` // "ok", "refused" (as the story expects) or "error"
	Detail  string `json:"detail"`
}

// statusReport is what GET /status tells the app about this browser's
// connection.
type statusReport struct {
	Connected     bool      `json:"connected"`
	Subject       string    `json:"subject,omitempty"`
	Scope         string    `json:"scope,omitempty"`
	ConnectedAt   time.Time `json:"connected_at,omitzero"`
	AccessToken   string    `json:"access_token,omitempty"`
	AccessExpires time.Time `json:"access_expires_at,omitzero"`
	RefreshToken  string    `json:"refresh_token,omitempty"`
	Revoked       bool      `json:"revoked"`
	Syncs         []syncRun `json:"syncs,omitempty"`
}

func (a *analytics) report(c *connection) statusReport {
	a.mu.Lock()
	defer a.mu.Unlock()
	scope, _ := c.token.Extra("scope").(string)
	return statusReport{
		Connected: true, Subject: c.subject, Scope: scope, ConnectedAt: c.connectedAt,
		AccessToken: short(c.token.AccessToken), AccessExpires: c.expires, RefreshToken: short(c.token.RefreshToken),
		Revoked: c.revoked, Syncs: append([]syncRun(nil), c.syncs...),
	}
}

// syncAll reads every connected profile, as the schedule does.
func (a *analytics) syncAll(trigger string) {
	a.mu.Lock()
	conns := make([]*connection, 0, len(a.conns))
	for _, c := range a.conns {
		conns = append(conns, c)
	}
	a.mu.Unlock()
	for _, c := range conns {
		ctx, cancel := context.WithTimeout(context.Background(), 3*callTimeout)
		a.sync(ctx, c, trigger)
		cancel()
	}
}

// sync reads the profile with the connection's access token, on the
// introspection route and on the local-JWT route, refreshing the token
// first when it expired and again when the API refuses it. Once the grant
// is revoked it reads with the token it has, to show each route's answer,
// until that token expires. The first sync also tries to change the
// profile, which the token does not allow.
func (a *analytics) sync(ctx context.Context, c *connection, trigger string) {
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	run := syncRun{At: a.cfg.now().UTC(), Trigger: trigger}
	a.mu.Lock()
	tok, expires, revoked := c.token, c.expires, c.revoked
	a.mu.Unlock()
	refreshed := false
	if !revoked && !a.cfg.now().Before(expires) {
		tok, revoked = a.refresh(ctx, c, &run)
		refreshed = true
	}
	intro := a.read(ctx, c, tok, "/profile/introspected", "introspection")
	run.Steps = append(run.Steps, intro, a.read(ctx, c, tok, "/profile", "local JWT"))
	if intro.Status == http.StatusUnauthorized && !refreshed && !revoked {
		a.refresh(ctx, c, &run)
	}
	if trigger == "when connected" {
		run.Steps = append(run.Steps, a.tryWrite(ctx, tok))
	}
	a.record(c, run)
}

func (a *analytics) record(c *connection, run syncRun) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c.syncs = append([]syncRun{run}, c.syncs[:min(len(c.syncs), maxSyncs-1)]...)
}

// read calls a profile route and describes the answer.
func (a *analytics) read(ctx context.Context, c *connection, tok *oauth2.Token, path, checkedBy string) step {
	s := step{What: "read the profile (" + checkedBy + ")", Route: "GET " + path}
	status, challenge, body, err := a.call(ctx, http.MethodGet, path, tok.AccessToken, "")
	s.Status = status
	switch {
	case err != nil:
		s.Outcome, s.Detail = "error", err.Error()
	case status == http.StatusOK:
		var p struct{ Sub, Name, Email string }
		json.Unmarshal(body, &p)
		a.mu.Lock()
		c.subject = p.Sub
		a.mu.Unlock()
		s.Outcome, s.Detail = "ok", fmt.Sprintf("read %s's profile: %q <%s>", p.Sub, p.Name, p.Email)
	default:
		s.Outcome, s.Detail = "refused", "WWW-Authenticate: "+challenge
	}
	return s
}

// tryWrite shows that the token is for reading only: PUT /profile needs
// profile:write, which analytics never asked for.
func (a *analytics) tryWrite(ctx context.Context, tok *oauth2.Token) step {
	s := step{What: "try to change the profile", Route: "PUT /profile"}
	status, challenge, _, err := a.call(ctx, http.MethodPut, "/profile", tok.AccessToken, `{"name":"Hacked by analytics"}`)
	s.Status = status
	switch {
	case err != nil:
		s.Outcome, s.Detail = "error", err.Error()
	case status == http.StatusForbidden:
		s.Outcome, s.Detail = "refused", "WWW-Authenticate: "+challenge
	default:
		s.Outcome, s.Detail = "error", fmt.Sprintf("the API answered %d to a token without profile:write", status)
	}
	return s
}

// refresh redeems the refresh token, which rotates (RFC 9700 §4.14.2).
// It returns the token to use and whether analytics lost its grant.
func (a *analytics) refresh(ctx context.Context, c *connection, run *syncRun) (*oauth2.Token, bool) {
	a.mu.Lock()
	old := c.token
	a.mu.Unlock()
	s := step{What: "refresh the access token", Route: "POST /token (refresh_token)"}
	// An expiry in the past makes the library refresh now, whatever time.Now says.
	ctx = context.WithValue(ctx, oauth2.HTTPClient, a.http)
	fresh, err := a.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: old.RefreshToken, Expiry: time.Unix(1, 0)}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			s.Status = re.Response.StatusCode
		}
		s.Outcome, s.Detail = "refused", oauthErrorText(err)+": the user revoked analytics at the issuer"
		run.Steps = append(run.Steps, s)
		a.mu.Lock()
		defer a.mu.Unlock()
		c.revoked = true
		return old, true
	}
	s.Status, s.Outcome = http.StatusOK, "ok"
	s.Detail = fmt.Sprintf("new access token %s; the refresh token rotated from %s to %s", short(fresh.AccessToken), short(old.RefreshToken), short(fresh.RefreshToken))
	run.Steps = append(run.Steps, s)
	a.mu.Lock()
	defer a.mu.Unlock()
	c.token, c.expires = fresh, a.cfg.now().Add(time.Duration(fresh.ExpiresIn)*time.Second)
	return fresh, false
}

// call sends one request to the API with a bearer token and returns the
// status, the WWW-Authenticate challenge and at most 64 KiB of the body.
func (a *analytics) call(ctx context.Context, method, path, token, body string) (int, string, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, a.cfg.apiURL+path, strings.NewReader(body))
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	b, err := netpolicy.ReadBody(resp.Body, 64<<10)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), b, err
}

// oauthErrorText describes a token endpoint error: its code and
// description, never a token.
func oauthErrorText(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return fmt.Sprintf("%d %s (%s)", re.Response.StatusCode, re.ErrorCode, re.ErrorDescription)
	}
	return err.Error()
}

// short shows the start and the end of a token, never the whole of it.
func short(tok string) string {
	if len(tok) <= 24 {
		return strings.Repeat("*", len(tok))
	}
	return fmt.Sprintf("%s…%s (%d chars)", tok[:10], tok[len(tok)-6:], len(tok))
}
