package issuertest

import (
	"maps"
	"slices"
	"time"
)

// An Option configures a [Server] built by [NewServer]. Options are made by
// the With... functions of this package; the interface is sealed.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// Default lifetimes and durations, used when the matching option is not given.
const (
	DefaultAccessTokenLifetime  = 5 * time.Minute
	DefaultIDTokenLifetime      = 5 * time.Minute
	DefaultRefreshTokenLifetime = time.Hour
	DefaultCodeLifetime         = 60 * time.Second
	DefaultKeyOverlap           = time.Hour
	DefaultKeyPublishAhead      = 10 * time.Minute
	DefaultJWKSMaxAge           = 5 * time.Minute
)

// config is the private, validated copy of everything the options set.
type config struct {
	now               func() time.Time
	alg               string
	audiences         []string // audiences[0] is the default audience
	clients           []Client
	users             []User
	defaultUser       string
	interactive       bool
	scopeDescriptions map[string]string
	opaque            bool
	mtls              bool // WithTLSClientCertificates (mtls.go)
	admin             bool
	addr              string
	issuer            string
	acrs              []string // WithAuthenticationContexts
	sessions          bool     // WithSessions

	accessTTL  time.Duration
	idTTL      time.Duration
	refreshTTL time.Duration
	codeTTL    time.Duration
	keyOverlap time.Duration
	keyAhead   time.Duration
	jwksMaxAge time.Duration

	introspection introspectionDialect // see introspect_dialect.go
}

func defaultConfig() config {
	return config{
		now:               time.Now,
		alg:               AlgRS256,
		audiences:         []string{DefaultAudience},
		clients:           DefaultClients(),
		users:             DefaultUsers(),
		scopeDescriptions: DefaultScopeDescriptions(),
		accessTTL:         DefaultAccessTokenLifetime,
		idTTL:             DefaultIDTokenLifetime,
		refreshTTL:        DefaultRefreshTokenLifetime,
		codeTTL:           DefaultCodeLifetime,
		keyOverlap:        DefaultKeyOverlap,
		keyAhead:          DefaultKeyPublishAhead,
		jwksMaxAge:        DefaultJWKSMaxAge,
	}
}

// WithClock makes now the server's only source of time: it decides the
// iat, exp and auth_time of every token, the expiry of codes, tokens and
// login requests, and when a rotated-out key leaves the JWKS. Pass
// (*Clock).Now for a clock the test moves by hand. The default is
// time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) { c.now = now })
}

// WithSigningAlg selects the JWS algorithm of access tokens: [AlgRS256]
// (the default), [AlgES256] or [AlgEdDSA]. Any other value makes
// [NewServer] panic. ID tokens are signed with RS256, which every OpenID
// relying party supports (OIDC Core §15.1), unless their client registered
// another [Client.IDTokenSignedResponseAlg]; the JWKS publishes a key for
// each algorithm in use.
func WithSigningAlg(alg string) Option {
	return optionFunc(func(c *config) { c.alg = alg })
}

// WithAudience sets the API audiences (RFC 8707 resource indicators) the
// server issues access tokens for. The first is the default audience, used
// when a request names no resource; the others may be asked for with the
// resource parameter. Without this option the only audience is
// [DefaultAudience].
func WithAudience(audience string, more ...string) Option {
	return optionFunc(func(c *config) {
		c.audiences = append([]string{audience}, more...) // a copy
	})
}

// WithClients replaces the registered clients. Pass
// append(DefaultClients(), extra...) to keep the defaults.
func WithClients(clients ...Client) Option {
	return optionFunc(func(c *config) {
		c.clients = nil
		for _, cl := range clients {
			cl.RedirectURIs = slices.Clone(cl.RedirectURIs)
			cl.Scopes = slices.Clone(cl.Scopes)
			cl.GrantTypes = slices.Clone(cl.GrantTypes)
			cl.WebOrigins = slices.Clone(cl.WebOrigins)
			c.clients = append(c.clients, cl) // a deep copy: later changes by the caller do not race
		}
	})
}

// WithUsers replaces the users who can sign in. Pass
// append(DefaultUsers(), extra...) to keep the defaults.
func WithUsers(users ...User) Option {
	return optionFunc(func(c *config) { c.users = append([]User(nil), users...) })
}

// WithDefaultUser names the user who is signed in automatically in the
// non-interactive mode when the authorization request has no login_hint.
// The default is the first user: [Alice] with the default users.
func WithDefaultUser(subject string) Option {
	return optionFunc(func(c *config) { c.defaultUser = subject })
}

// WithInteractiveLogin makes /authorize show an HTML login form and then a
// consent page, instead of signing the default user in and approving at
// once (the non-interactive mode, which is the default of [NewServer]).
func WithInteractiveLogin() Option {
	return optionFunc(func(c *config) { c.interactive = true })
}

// WithScopeDescriptions sets what the consent page of
// [WithInteractiveLogin] says each scope allows, adding to or replacing
// [DefaultScopeDescriptions]; an empty description removes one.
func WithScopeDescriptions(descriptions map[string]string) Option {
	return optionFunc(func(c *config) {
		c.scopeDescriptions = mergeDescriptions(descriptions) // a copy
		maps.DeleteFunc(c.scopeDescriptions, func(_, d string) bool { return d == "" })
	})
}

// WithOpaqueAccessTokens makes the server issue random opaque strings as
// access tokens instead of JWTs, so that an API which checks tokens only by
// introspection (RFC 7662) can be tested. [Server.AccessToken] then returns
// opaque tokens too; ID tokens and the bad-token helpers stay JWTs.
func WithOpaqueAccessTokens() Option {
	return optionFunc(func(c *config) { c.opaque = true })
}

// WithAdminAPI serves the JSON admin endpoint under /admin/ (key rotation,
// faults, request counters and token minting over HTTP), so that tests
// written in other languages can do what Go tests do with methods. It is
// off by default. See the package documentation for its requests.
func WithAdminAPI() Option {
	return optionFunc(func(c *config) { c.admin = true })
}

// WithAddr makes the server listen on addr (host:port; port 0 picks a free
// one) instead of a random port of 127.0.0.1.
func WithAddr(addr string) Option {
	return optionFunc(func(c *config) { c.addr = addr })
}

// WithIssuerURL sets the public issuer identifier, for a server reached
// through a proxy or a fixed name. It must be an absolute http or https URL
// without a trailing slash, query or fragment. [Server.URL] is this value
// and every endpoint in the metadata is built on it. The default is the
// listener's http://127.0.0.1:port.
func WithIssuerURL(issuer string) Option {
	return optionFunc(func(c *config) { c.issuer = issuer })
}

// WithAccessTokenLifetime sets the lifetime of access tokens; the default
// is [DefaultAccessTokenLifetime].
func WithAccessTokenLifetime(d time.Duration) Option {
	return optionFunc(func(c *config) { c.accessTTL = d })
}

// WithIDTokenLifetime sets the lifetime of ID tokens; the default is
// [DefaultIDTokenLifetime].
func WithIDTokenLifetime(d time.Duration) Option {
	return optionFunc(func(c *config) { c.idTTL = d })
}

// WithRefreshTokenLifetime sets the lifetime of each refresh token; the
// default is [DefaultRefreshTokenLifetime].
func WithRefreshTokenLifetime(d time.Duration) Option {
	return optionFunc(func(c *config) { c.refreshTTL = d })
}

// WithCodeLifetime sets the lifetime of authorization codes; the default is
// [DefaultCodeLifetime] (RFC 6749 §4.1.2 recommends at most ten minutes).
func WithCodeLifetime(d time.Duration) Option {
	return optionFunc(func(c *config) { c.codeTTL = d })
}

// WithKeyOverlap sets how long a key replaced by [Server.RotateKey] stays
// published in the JWKS, so that tokens it signed still verify; the default
// is [DefaultKeyOverlap].
func WithKeyOverlap(d time.Duration) Option {
	return optionFunc(func(c *config) { c.keyOverlap = d })
}

// WithKeyPublishAhead sets how long a key made by [Server.PublishNextKey]
// is published in the JWKS before it signs; the default is
// [DefaultKeyPublishAhead], twice [DefaultJWKSMaxAge], so that a verifier
// that honours the JWKS Cache-Control has fetched the key before its first
// token. It must be positive.
func WithKeyPublishAhead(d time.Duration) Option {
	return optionFunc(func(c *config) { c.keyAhead = d })
}

// WithJWKSMaxAge sets the Cache-Control max-age of the JWKS response; the
// default is [DefaultJWKSMaxAge].
func WithJWKSMaxAge(d time.Duration) Option {
	return optionFunc(func(c *config) { c.jwksMaxAge = d })
}
