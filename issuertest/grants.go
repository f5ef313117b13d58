package issuertest

import (
	"slices"
	"strings"
	"time"
)

// appGrants is what a user allowed one client, across the user's live
// grants of it (each authorization code flow is a grant of its own).
type appGrants struct {
	clientID     string
	scopes       []string
	audience     []string
	since        time.Time // the first sign-in of a live grant
	accessUntil  time.Time // the latest exp of a live access token; zero if none
	refreshUntil time.Time // the latest exp of a live refresh token; zero if none
}

// userGrant reports whether g is a live grant that subject gave by signing
// in: not a client's own (client_credentials) grant, not revoked.
func userGrant(g *grant, subject string) bool {
	return g != nil && !g.revoked && g.subject == subject && !g.authTime.IsZero()
}

// connectedApps lists the clients that hold a live access or refresh token
// of one of subject's grants, by client ID.
func (s *store) connectedApps(subject string) []appGrants {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	apps := map[string]*appGrants{}
	add := func(g *grant) *appGrants {
		a, ok := apps[g.clientID]
		if !ok {
			a = &appGrants{clientID: g.clientID, since: g.authTime}
			apps[g.clientID] = a
		}
		a.scopes = union(a.scopes, g.scopes)
		a.audience = union(a.audience, g.audience)
		if g.authTime.Before(a.since) {
			a.since = g.authTime
		}
		return a
	}
	for _, r := range s.access {
		if !r.revoked && now.Before(r.exp) && userGrant(r.grant, subject) {
			a := add(r.grant)
			a.accessUntil = later(a.accessUntil, r.exp)
		}
	}
	for _, r := range s.refresh {
		if !r.used && now.Before(r.exp) && userGrant(r.grant, subject) {
			a := add(r.grant)
			a.refreshUntil = later(a.refreshUntil, r.exp)
		}
	}
	list := make([]appGrants, 0, len(apps))
	for _, a := range apps {
		list = append(list, *a)
	}
	slices.SortFunc(list, func(a, b appGrants) int { return strings.Compare(a.clientID, b.clientID) })
	return list
}

// revokeApp revokes every grant subject gave clientID, with the codes,
// access tokens and refresh tokens issued from them: refreshing fails and
// introspection reports the access tokens inactive from now on. It
// returns how many grants it revoked and the latest exp of the access
// tokens that were live, until which a resource server that verifies JWTs
// locally still accepts one.
func (s *store) revokeApp(subject, clientID string) (int, time.Time) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	revoked := map[*grant]bool{}
	revoke := func(g *grant) {
		if userGrant(g, subject) && g.clientID == clientID {
			revoked[g] = true
		}
	}
	var until time.Time
	for _, r := range s.access {
		if !r.revoked && now.Before(r.exp) && userGrant(r.grant, subject) && r.grant.clientID == clientID {
			until = later(until, r.exp)
		}
		revoke(r.grant)
	}
	for _, r := range s.refresh {
		revoke(r.grant)
	}
	for _, c := range s.codes {
		revoke(c.grant)
	}
	for g := range revoked {
		g.revoked = true
	}
	return len(revoked), until
}

// union appends to a the values of b it lacks.
func union(a, b []string) []string {
	for _, v := range b {
		if !slices.Contains(a, v) {
			a = append(a, v)
		}
	}
	return a
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
