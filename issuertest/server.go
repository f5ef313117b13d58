package issuertest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// A Server is a running OAuth 2.0 authorization server and OpenID Provider
// for tests. Make one with [NewServer] and stop it with [Server.Close].
type Server struct {
	// URL is the issuer identifier, without a trailing slash: the iss of
	// every token and the base of every endpoint, for example
	// http://127.0.0.1:41231.
	URL string

	cfg      config
	now      func() time.Time
	http     *httptest.Server
	keys     *keyring
	store    *store
	faults   *faults
	clients  map[string]*Client
	users    map[string]*User
	sessions sessions  // WithSessions (stepup.go)
	events   eventLog  // the revocation events sent (events.go)
	proofs   proofSeen // DPoP proofs used at the token endpoint (dpop.go)

	closeOnce sync.Once
	closing   chan struct{} // closed by Close: ends injected delays

	accounts *accountSessions // sign-ins of the connected-apps page
}

// NewServer starts an issuer on a loopback port and returns it; the caller
// must call [Server.Close]. Without options it has the defaults described
// in the package documentation: RS256 keys, [DefaultAudience], the clients
// of [DefaultClients], the users of [DefaultUsers] and the non-interactive
// login.
//
// NewServer is meant for tests and panics on misuse: an invalid option
// value, a duplicate client or user, or an address it cannot listen on.
//
// The first server of a process for an algorithm generates its signing key;
// later servers reuse that key (so starting and closing one costs about a
// millisecond, as much as an httptest.Server), and each rotates away from
// it on its own with [Server.RotateKey].
func NewServer(opts ...Option) *Server {
	cfg := defaultConfig()
	for _, o := range opts {
		o.apply(&cfg)
	}
	if err := cfg.validate(); err != nil {
		panic("issuertest: " + err.Error())
	}
	s := &Server{
		cfg:     cfg,
		now:     cfg.now,
		store:   newStore(cfg.now),
		faults:  newFaults(),
		clients: map[string]*Client{},
		users:   map[string]*User{},
		closing: make(chan struct{}),
	}
	s.accounts = newAccountSessions(cfg.now)
	for i := range cfg.clients {
		s.clients[cfg.clients[i].ID] = &cfg.clients[i]
	}
	for i := range cfg.users {
		s.users[cfg.users[i].Subject] = &cfg.users[i]
	}
	s.keys = newKeyring(cfg.signingAlgs(), cfg.keyOverlap, cfg.now)
	s.http = httptest.NewUnstartedServer(s.routes())
	if cfg.addr != "" {
		l, err := net.Listen("tcp", cfg.addr)
		if err != nil {
			panic("issuertest: " + err.Error())
		}
		s.http.Listener.Close()
		s.http.Listener = l
	}
	s.URL = s.scheme() + "://" + s.http.Listener.Addr().String()
	if cfg.issuer != "" {
		s.URL = cfg.issuer
	}
	s.start() // mtls.go
	return s
}

// Close stops the server: it ends injected delays, then waits for the
// requests in flight. It may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.http.Close()
	})
}

// Client returns an HTTP client for the server, whose idle connections are
// closed by [Server.Close].
func (s *Server) Client() *http.Client { return s.http.Client() }

// Addr returns the address the server listens on, which differs from
// [Server.URL] when [WithIssuerURL] is used.
func (s *Server) Addr() string { return s.http.Listener.Addr().String() }

// Audience returns the default audience of access tokens: the first value
// given to [WithAudience], else [DefaultAudience].
func (s *Server) Audience() string { return s.cfg.audiences[0] }

// Now returns the server's current time, from the clock of [WithClock].
func (s *Server) Now() time.Time { return s.now() }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, e Endpoint, h http.HandlerFunc) {
		mux.Handle(pattern, s.endpoint(e, h))
	}
	handle("GET /.well-known/openid-configuration", EndpointDiscovery, s.handleMetadata)
	handle("GET /.well-known/oauth-authorization-server", EndpointDiscovery, s.handleMetadata)
	handle("GET /jwks", EndpointJWKS, s.handleJWKS)
	handle("GET /authorize", EndpointAuthorize, s.handleAuthorize)
	handle("POST /authorize", EndpointAuthorize, s.handleAuthorize)
	handle("POST /login", EndpointLogin, s.handleLogin)
	handle("POST /consent", EndpointLogin, s.handleConsent)
	handle("POST /token", EndpointToken, s.handleToken)
	handle("POST /introspect", EndpointIntrospect, s.handleIntrospect)
	handle("POST /revoke", EndpointRevoke, s.handleRevoke)
	handle("GET /userinfo", EndpointUserinfo, s.handleUserinfo)
	handle("POST /userinfo", EndpointUserinfo, s.handleUserinfo)
	s.connectedRoutes(handle)
	if s.cfg.admin {
		mux.Handle("/admin/", s.adminRoutes())
	}
	return s.withCORS(mux)
}

// validate checks the options. Defaults are set before the options apply,
// except the default user, which is the first user unless named.
func (c *config) validate() error {
	if c.now == nil {
		return fmt.Errorf("WithClock: nil clock")
	}
	if !supportedAlg(c.alg) {
		return fmt.Errorf("WithSigningAlg: unsupported algorithm %q", c.alg)
	}
	for _, a := range c.audiences {
		if u, err := url.Parse(a); a == "" || err != nil || u.Fragment != "" {
			return fmt.Errorf("WithAudience: bad audience %q", a)
		}
	}
	for name, d := range map[string]time.Duration{
		"WithAccessTokenLifetime": c.accessTTL, "WithIDTokenLifetime": c.idTTL,
		"WithRefreshTokenLifetime": c.refreshTTL, "WithCodeLifetime": c.codeTTL,
	} {
		if d <= 0 {
			return fmt.Errorf("%s: lifetime must be positive", name)
		}
	}
	if c.keyOverlap < 0 || c.jwksMaxAge < 0 {
		return fmt.Errorf("WithKeyOverlap, WithJWKSMaxAge: negative duration")
	}
	if c.keyAhead <= 0 {
		return fmt.Errorf("WithKeyPublishAhead: duration must be positive")
	}
	if c.issuer != "" {
		u, err := url.Parse(c.issuer)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("WithIssuerURL: %q must be http(s)://host[:port] without a path", c.issuer)
		}
	}
	return c.validateParties()
}

func (c *config) validateParties() error {
	var ids, subjects []string
	for i := range c.clients {
		if err := c.clients[i].validate(); err != nil {
			return fmt.Errorf("WithClients: %w", err)
		}
		if slices.Contains(ids, c.clients[i].ID) {
			return fmt.Errorf("WithClients: duplicate client %q", c.clients[i].ID)
		}
		ids = append(ids, c.clients[i].ID)
	}
	for i := range c.users {
		if err := c.users[i].validate(); err != nil {
			return fmt.Errorf("WithUsers: %w", err)
		}
		if slices.Contains(subjects, c.users[i].Subject) {
			return fmt.Errorf("WithUsers: duplicate user %q", c.users[i].Subject)
		}
		subjects = append(subjects, c.users[i].Subject)
	}
	if c.defaultUser == "" && len(subjects) > 0 {
		c.defaultUser = subjects[0]
	}
	if c.defaultUser != "" && !slices.Contains(subjects, c.defaultUser) {
		return fmt.Errorf("WithDefaultUser: no user %q", c.defaultUser)
	}
	return nil
}

// supportedAlg reports whether the server can sign with alg.
func supportedAlg(alg string) bool {
	return alg == AlgRS256 || alg == AlgES256 || alg == AlgEdDSA
}

// signingAlgs lists every algorithm the server signs with: the access
// token algorithm first, then RS256, which OIDC Core §15.1 and Discovery
// §3 require for ID tokens, then each id_token_signed_response_alg a client
// registered.
func (c *config) signingAlgs() []string {
	algs := []string{c.alg}
	for _, a := range append([]string{AlgRS256}, c.idTokenAlgs()...) {
		if !slices.Contains(algs, a) {
			algs = append(algs, a)
		}
	}
	return algs
}

func (c *config) idTokenAlgs() []string {
	var algs []string
	for _, cl := range c.clients {
		if cl.IDTokenSignedResponseAlg != "" {
			algs = append(algs, cl.IDTokenSignedResponseAlg)
		}
	}
	return algs
}

// idTokenAlg is the algorithm of the ID tokens of a client: the one it
// registered, else RS256 (OIDC Registration §2, id_token_signed_response_alg).
func (s *Server) idTokenAlg(clientID string) string {
	if c, ok := s.clients[clientID]; ok && c.IDTokenSignedResponseAlg != "" {
		return c.IDTokenSignedResponseAlg
	}
	return AlgRS256
}

// endpointURL is the absolute URL of one of the server's paths.
func (s *Server) endpointURL(path string) string {
	return strings.TrimSuffix(s.URL, "/") + path
}
