// Package discovery fetches an authorization server's metadata: the OpenID
// Connect Discovery document (OpenID Connect Discovery 1.0 §4), falling
// back to RFC 8414 OAuth 2.0 Authorization Server Metadata.
//
// A resource server needs three members of the document and one check, so
// this package reads them itself with the standard library rather than
// through go-oidc, whose provider would link go-jose into every service that
// only introspects, read bodies without a bound and follow any redirect.
// The rules are netpolicy's: a deadline, a bounded body, redirects within
// the issuer's origin only.
package discovery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tokengate/tokengate/internal/netpolicy"
)

// Metadata holds the members of the discovery document tokengate uses.
type Metadata struct {
	Issuer                string `json:"issuer"`
	JWKSURI               string `json:"jwks_uri"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
}

// ErrIssuerMismatch reports metadata whose "issuer" is not the issuer
// asked for: a configuration error (or an attack), never an outage.
var ErrIssuerMismatch = errors.New("discovery: issuer mismatch")

// Fetch retrieves the metadata of issuer with client, bounded by ctx and
// netpolicy.DefaultTimeout, reading at most netpolicy.MaxBodyBytes and
// following redirects within the issuer's origin only. It asks for
// issuer + "/.well-known/openid-configuration" (OpenID Connect Discovery
// §4.1) and, if that is not there, for the RFC 8414 §3.1 address. The
// document's "issuer" must equal issuer exactly (OpenID Connect Discovery
// §4.3, RFC 8414 §3.3); a mismatch wraps [ErrIssuerMismatch].
func Fetch(ctx context.Context, issuer string, client *http.Client) (*Metadata, error) {
	ctx, cancel := context.WithTimeout(ctx, netpolicy.DefaultTimeout)
	defer cancel()
	client = netpolicy.Client(client, netpolicy.SameOrigin)
	u, err := url.Parse(issuer)
	if err != nil {
		return nil, fmt.Errorf("discovery: issuer %s: %w", netpolicy.Quote(issuer), err)
	}
	oidc := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	md, errOIDC := fetch(ctx, client, oidc, issuer)
	if errOIDC == nil || errors.Is(errOIDC, ErrIssuerMismatch) || ctx.Err() != nil {
		return md, errOIDC
	}
	// RFC 8414 §3.1: the well-known segment goes between host and path.
	u.Path = "/.well-known/oauth-authorization-server" + strings.TrimSuffix(u.Path, "/")
	md, err8414 := fetch(ctx, client, u.String(), issuer)
	if err8414 != nil && !errors.Is(err8414, ErrIssuerMismatch) {
		return nil, fmt.Errorf("discovery: openid-configuration: %v; oauth-authorization-server: %w", errOIDC, err8414)
	}
	return md, err8414
}

// fetch reads one metadata document and checks its issuer.
func fetch(ctx context.Context, client *http.Client, addr, issuer string) (*Metadata, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s", addr, resp.Status)
	}
	body, err := netpolicy.ReadBody(resp.Body, netpolicy.MaxBodyBytes)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", addr, err)
	}
	var md Metadata
	if err := json.Unmarshal(body, &md); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", addr, err)
	}
	if md.Issuer != issuer {
		return nil, fmt.Errorf("%w: the metadata's issuer is %s, want %s (OpenID Connect Discovery §4.3, RFC 8414 §3.3)",
			ErrIssuerMismatch, netpolicy.Quote(md.Issuer), netpolicy.Quote(issuer))
	}
	return &md, nil
}
