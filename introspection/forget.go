package introspection

import "github.com/tokengate/tokengate"

// Revocation: the Forget methods drop cached results before their time,
// when the authorization server says that tokens were revoked (package
// revocation receives its events and fans them out to every replica).
// Each applies to this process's cache and, with Config.SharedCache, hides
// the shared entries concerned for every replica. An active result is not
// removed but marked dead, so that its token's next check is made at once
// and still counts as the re-check of a token seen active, not as a new
// token against Config.NewTokenRate. A flight in progress when a Forget
// method is called does not cache its answer, which the revocation may
// have overtaken.
//
// The methods are safe for concurrent use, never fail and return once the
// process cache is purged and the shared store has answered or
// Config.SharedTimeout has passed; a shared revocation that fails makes
// the Introspector distrust every shared entry until it can hide them all.

// Forget drops the cached result of token.
func (i *Introspector) Forget(token string) {
	k := keyOf(token)
	i.results.forget(func(e entry) bool { return true }, &k)
	if i.shared != nil {
		i.sharedRevoke(i.shared.keys.keyOf(token))
	}
}

// ForgetSubject drops the cached results of the tokens whose "sub" is
// subject, as after an OpenID Connect back-channel logout.
func (i *Introspector) ForgetSubject(subject string) {
	i.forgetClaim("sub", subject, func(c *tokengate.Claims) string { return c.Subject })
}

// ForgetClient drops the cached results of the tokens issued to clientID.
func (i *Introspector) ForgetClient(clientID string) {
	i.forgetClaim("client", clientID, func(c *tokengate.Claims) string { return c.ClientID })
}

// ForgetTokenID drops the cached result of the token whose "jti" is jti.
func (i *Introspector) ForgetTokenID(jti string) {
	i.forgetClaim("jti", jti, func(c *tokengate.Claims) string { return c.ID })
}

// ForgetAll drops every cached result, as after missed revocation events.
func (i *Introspector) ForgetAll() {
	i.results.forget(func(entry) bool { return true }, nil)
	if i.shared != nil {
		i.sharedRevoke(TagAll)
	}
}

func (i *Introspector) forgetClaim(kind, value string, claim func(*tokengate.Claims) string) {
	if value == "" {
		return
	}
	i.results.forget(func(e entry) bool { return e.claims != nil && claim(e.claims) == value }, nil)
	if i.shared != nil {
		i.sharedRevoke(i.shared.keys.tagOf(kind, value))
	}
}

// forget marks dead the active entries that match, of only k when k is
// set; with a match-all, refused entries are dropped too. It moves the
// generation first, so that a flight in progress does not cache its
// answer afterwards.
func (r *results) forget(match func(entry) bool, k *key) {
	r.gen.Add(1)
	if r.active != nil {
		keys := []key{}
		if k != nil {
			keys = append(keys, *k)
		} else {
			keys = r.active.Keys()
		}
		for _, k := range keys {
			if e, ok := r.active.Peek(k); ok && match(e) && !e.until.IsZero() {
				r.active.Add(k, entry{claims: e.claims}) // dead, still known
			}
		}
	}
	if r.refused != nil && match(entry{}) {
		if k != nil {
			r.refused.Remove(*k)
		} else {
			r.refused.Purge()
		}
	}
}
