// Package discovery fetches an authorization server's metadata: the OpenID
// Connect Discovery document through go-oidc, falling back to RFC 8414
// OAuth 2.0 Authorization Server Metadata. It is the only importer of
// go-oidc in tokengate, and the only place that calls oidc.ClientContext.
package discovery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/tokengate/tokengate/internal/netpolicy"
)

// Metadata holds the members of the discovery document tokengate uses.
type Metadata struct {
	Issuer                string `json:"issuer"`
	JWKSURI               string `json:"jwks_uri"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
}

// Fetch retrieves the metadata of issuer with client, bounded by ctx and
// netpolicy.DefaultTimeout, reading at most netpolicy.MaxBodyBytes and following
// redirects within the issuer's origin only. The document's "issuer" must equal issuer exactly
// (OpenID Connect Discovery §4.3, RFC 8414 §3.3).
func Fetch(ctx context.Context, issuer string, client *http.Client) (*Metadata, error) {
	ctx, cancel := context.WithTimeout(ctx, netpolicy.DefaultTimeout)
	defer cancel()
	client = limited(client)

	p, err := oidc.NewProvider(oidc.ClientContext(ctx, client), issuer)
	if err == nil {
		var md Metadata
		if err := p.Claims(&md); err != nil {
			return nil, fmt.Errorf("discovery: decoding metadata: %w", err)
		}
		return &md, nil
	}
	var mismatch *oidc.IssuerMismatchError
	if errors.As(err, &mismatch) {
		return nil, fmt.Errorf("discovery: %w: %w", ErrIssuerMismatch, err)
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	md, err8414 := fetchRFC8414(ctx, issuer, client)
	if err8414 != nil {
		return nil, fmt.Errorf("discovery: openid-configuration: %v; oauth-authorization-server: %w", err, err8414)
	}
	return md, nil
}

// fetchRFC8414 reads /.well-known/oauth-authorization-server, inserted
// between the host and the path of the issuer (RFC 8414 §3.1).
func fetchRFC8414(ctx context.Context, issuer string, client *http.Client) (*Metadata, error) {
	u, err := url.Parse(issuer)
	if err != nil {
		return nil, err
	}
	u.Path = "/.well-known/oauth-authorization-server" + strings.TrimSuffix(u.Path, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
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
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	body, err := netpolicy.ReadBody(resp.Body, netpolicy.MaxBodyBytes)
	if err != nil {
		return nil, err
	}
	var md Metadata
	if err := json.Unmarshal(body, &md); err != nil {
		return nil, fmt.Errorf("decoding metadata: %w", err)
	}
	if md.Issuer != issuer {
		return nil, fmt.Errorf("%w: the metadata's issuer is %.80q, want %.80q (RFC 8414 §3.3)", ErrIssuerMismatch, md.Issuer, issuer)
	}
	return &md, nil
}

// ErrIssuerMismatch reports metadata whose "issuer" is not the issuer
// asked for: a configuration error (or an attack), never an outage.
var ErrIssuerMismatch = errors.New("discovery: issuer mismatch")

// limited returns a copy of client that follows redirects within the
// issuer's origin only and whose responses fail once they exceed
// netpolicy.MaxBodyBytes, since go-oidc reads the whole body.
func limited(client *http.Client) *http.Client {
	c := netpolicy.Client(client, netpolicy.SameOrigin)
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c.Transport = limitTransport{next: next}
	return c
}

type limitTransport struct{ next http.RoundTripper }

func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = netpolicy.LimitBody(resp.Body, netpolicy.MaxBodyBytes)
	return resp, nil
}
