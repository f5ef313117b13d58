package issuertest

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
)

// The defaults: one API audience, three clients and two users. They are
// constants so that tests and the standalone server can print and use them.
const (
	// DefaultAudience is the audience (RFC 8707 resource) of access tokens
	// unless [WithAudience] says otherwise.
	DefaultAudience = "https://api.example.test"

	// PublicClientID is a public browser client: no secret, the
	// authorization code grant with PKCE and refresh tokens, loopback
	// redirect URIs (see [PublicClientRedirectURIs]).
	PublicClientID = "web-app"

	// ServiceClientID and ServiceClientSecret are a confidential client for
	// the client_credentials grant.
	ServiceClientID     = "service"
	ServiceClientSecret = "service-secret"

	// APIClientID and APIClientSecret are the resource server's own
	// credentials; it is the only default client allowed to call the
	// introspection endpoint.
	APIClientID     = "api"
	APIClientSecret = "api-secret"

	// Alice and Bob are the subjects (and login names) of the two default
	// users; AlicePassword and BobPassword are their passwords.
	Alice         = "alice"
	AlicePassword = "alice-password"
	Bob           = "bob"
	BobPassword   = "bob-password"
)

// Grant types a [Client] may be allowed.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
)

// PublicClientRedirectURIs returns the redirect URIs registered for
// [PublicClientID]. They are loopback IP addresses, so a request may use any
// port with them (RFC 8252 §7.3): http://127.0.0.1:53124/callback matches.
func PublicClientRedirectURIs() []string {
	return []string{"http://127.0.0.1/callback", "http://[::1]/callback"}
}

// DefaultAPIScopes returns the API scopes the default clients may ask for.
func DefaultAPIScopes() []string {
	return []string{"orders:read", "orders:write", "refunds:write"}
}

// A Client is a registered OAuth 2.0 client. The JSON names are those of
// the standalone server's configuration file.
type Client struct {
	// ID is the client_id. Required and unique.
	ID string `json:"client_id"`
	// Secret is the client secret of a confidential client, which
	// authenticates with client_secret_basic or client_secret_post. Empty
	// means a public client, which authenticates with none.
	Secret string `json:"client_secret,omitempty"`
	// RedirectURIs are matched exactly, except that a loopback IP redirect
	// URI matches any port (RFC 8252 §7.3). Required for the
	// authorization_code grant.
	RedirectURIs []string `json:"redirect_uris,omitempty"`
	// Scopes are the scopes the client may ask for; a request for any other
	// fails with invalid_scope.
	Scopes []string `json:"scopes,omitempty"`
	// GrantTypes are the grants the client may use: [GrantAuthorizationCode],
	// [GrantRefreshToken] (refresh tokens are issued only to clients that
	// have it) and [GrantClientCredentials] (confidential clients only).
	GrantTypes []string `json:"grant_types,omitempty"`
	// Introspect allows this confidential client to call /introspect.
	Introspect bool `json:"introspect,omitempty"`
	// IDTokenSignedResponseAlg is the algorithm of this client's ID tokens
	// (OIDC Registration §2): [AlgRS256], [AlgES256] or [AlgEdDSA]. Empty
	// means RS256, the default the specification sets.
	IDTokenSignedResponseAlg string `json:"id_token_signed_response_alg,omitempty"`
	// WebOrigins are the origins (scheme://host[:port], as a browser sends
	// them in Origin) of a public browser client that runs in a page, such
	// as a single-page app: the token, revocation, userinfo, JWKS and
	// metadata endpoints answer CORS requests from them (see the package
	// documentation). Only a public client may have them.
	WebOrigins []string `json:"web_origins,omitempty"`
	// BackchannelLogoutURI receives an OpenID Connect Back-Channel Logout
	// token (OIDC Back-Channel Logout 1.0 §2.2) whenever a grant or a
	// session is revoked; see [Server.EndSession]. Empty: none.
	BackchannelLogoutURI string `json:"backchannel_logout_uri,omitempty"`
	// SecurityEventsURI receives, by RFC 8935 push delivery, a Security
	// Event Token (RFC 8417) with a CAEP session-revoked event whenever a
	// grant or a session is revoked. Empty: none.
	SecurityEventsURI string `json:"security_events_uri,omitempty"`
}

// A User can sign in at the authorization endpoint.
type User struct {
	// Subject is both the login name and the sub claim. Required and unique.
	Subject  string `json:"subject"`
	Password string `json:"password"`
	// Name and Email are returned by /userinfo for the profile and email
	// scopes.
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

// DefaultClients returns the clients a server has without [WithClients]:
// [PublicClientID], [ServiceClientID] and [APIClientID].
func DefaultClients() []Client {
	user := append([]string{"openid", "profile", "email", "offline_access"}, DefaultAPIScopes()...)
	return []Client{
		{
			ID:           PublicClientID,
			RedirectURIs: PublicClientRedirectURIs(),
			Scopes:       user,
			GrantTypes:   []string{GrantAuthorizationCode, GrantRefreshToken},
		},
		{
			ID:         ServiceClientID,
			Secret:     ServiceClientSecret,
			Scopes:     DefaultAPIScopes(),
			GrantTypes: []string{GrantClientCredentials},
		},
		{
			ID:         APIClientID,
			Secret:     APIClientSecret,
			Introspect: true,
		},
	}
}

// DefaultUsers returns the users a server has without [WithUsers]: [Alice]
// and [Bob].
func DefaultUsers() []User {
	return []User{
		{Subject: Alice, Password: AlicePassword, Name: "Alice Example", Email: "alice@example.test"},
		{Subject: Bob, Password: BobPassword, Name: "Bob Example", Email: "bob@example.test"},
	}
}

func (c *Client) public() bool { return c.Secret == "" }

func (c *Client) allows(grant string) bool { return slices.Contains(c.GrantTypes, grant) }

// validate reports the first problem with a client's registration.
func (c *Client) validate() error {
	if c.ID == "" {
		return fmt.Errorf("client with an empty ID")
	}
	for _, g := range c.GrantTypes {
		switch g {
		case GrantAuthorizationCode, GrantRefreshToken:
		case GrantClientCredentials:
			if c.public() {
				return fmt.Errorf("client %q: %s needs a secret", c.ID, g)
			}
		default:
			return fmt.Errorf("client %q: unknown grant type %q", c.ID, g)
		}
	}
	if c.IDTokenSignedResponseAlg != "" && !supportedAlg(c.IDTokenSignedResponseAlg) {
		return fmt.Errorf("client %q: unsupported id_token_signed_response_alg %q", c.ID, c.IDTokenSignedResponseAlg)
	}
	if c.Introspect && c.public() {
		return fmt.Errorf("client %q: introspection needs a secret", c.ID)
	}
	if err := c.validateWebOrigins(); err != nil {
		return err
	}
	if c.allows(GrantAuthorizationCode) && len(c.RedirectURIs) == 0 {
		return fmt.Errorf("client %q: authorization_code needs a redirect URI", c.ID)
	}
	for _, r := range c.RedirectURIs {
		u, err := url.Parse(r)
		if err != nil || !u.IsAbs() || u.Fragment != "" || u.Host == "" {
			return fmt.Errorf("client %q: redirect URI %q must be absolute without a fragment", c.ID, r)
		}
	}
	if err := c.validateReceivers(); err != nil {
		return err
	}
	for _, s := range c.Scopes {
		if s == "" || strings.ContainsAny(s, " \"\\") {
			return fmt.Errorf("client %q: bad scope %q", c.ID, s)
		}
	}
	return nil
}

// matchRedirect reports whether the requested redirect URI is registered
// for the client: an exact string match, or for a registered loopback IP
// URI the same URI with any port (RFC 8252 §7.3).
func (c *Client) matchRedirect(requested string) bool {
	if requested == "" {
		return false
	}
	if slices.Contains(c.RedirectURIs, requested) {
		return true
	}
	req, err := url.Parse(requested)
	if err != nil || req.User != nil || req.Fragment != "" || req.Scheme != "http" {
		return false
	}
	for _, r := range c.RedirectURIs {
		reg, err := url.Parse(r)
		if err != nil || reg.Scheme != "http" || !loopbackIP(reg.Hostname()) {
			continue
		}
		if req.Hostname() == reg.Hostname() && req.EscapedPath() == reg.EscapedPath() &&
			req.RawQuery == reg.RawQuery && req.ForceQuery == reg.ForceQuery {
			return true
		}
	}
	return false
}

func loopbackIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validateUser reports the first problem with a user.
func (u *User) validate() error {
	if u.Subject == "" || strings.ContainsAny(u.Subject, " \t\r\n") {
		return fmt.Errorf("user with an empty or spaced subject %q", u.Subject)
	}
	if u.Password == "" {
		return fmt.Errorf("user %q: empty password", u.Subject)
	}
	return nil
}
