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
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Metadata holds the members of the discovery document tokengate uses.
type Metadata struct {
	Issuer                string   `json:"issuer"`
	JWKSURI               string   `json:"jwks_uri"`
	IntrospectionEndpoint string   `json:"introspection_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	SigningAlgs           []string `json:"id_token_signing_alg_values_supported"`
}

// MaxBodyBytes bounds a discovery document.
const MaxBodyBytes = 1 << 20

// DefaultTimeout bounds a discovery fetch when the context has no earlier
// deadline.
const DefaultTimeout = 10 * time.Second

// Fetch retrieves the metadata of issuer with client, bounded by ctx and
// DefaultTimeout. The document's "issuer" must equal issuer exactly
// (OpenID Connect Discovery §4.3, RFC 8414 §3.3).
func Fetch(ctx context.Context, issuer string, client *http.Client) (*Metadata, error) {
	ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
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
		return nil, fmt.Errorf("%w: %w", ErrIssuerMismatch, err)
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
	var md Metadata
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil {
		return nil, fmt.Errorf("decoding metadata: %w", err)
	}
	if md.Issuer != issuer {
		return nil, fmt.Errorf("%w: %q, want %q (RFC 8414 §3.3)", ErrIssuerMismatch, md.Issuer, issuer)
	}
	return &md, nil
}

// ErrIssuerMismatch is wrapped when the metadata's "issuer" is not the
// issuer asked for (OpenID Connect Discovery §4.3, RFC 8414 §3.3): a
// configuration error, which retrying will not mend.
var ErrIssuerMismatch = errors.New("discovery: issuer in metadata does not match")

// ErrBodyTooLarge is returned when a response exceeds MaxBodyBytes.
var ErrBodyTooLarge = errors.New("discovery: response body too large")

// limited returns a shallow copy of client whose responses fail once they
// exceed MaxBodyBytes, since go-oidc reads the whole body.
func limited(client *http.Client) *http.Client {
	c := *client
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c.Transport = limitTransport{next: next}
	return &c
}

type limitTransport struct{ next http.RoundTripper }

func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: MaxBodyBytes}
	return resp, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, ErrBodyTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// CheckURL reports whether raw, the value of the config field named field,
// is an absolute https URL, or http on a loopback host (RFC 8252 §8.3
// allows loopback for local development and tests), or http anywhere when
// allowHTTP is set.
func CheckURL(field, raw string, allowHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s %q is not an absolute URL", field, raw)
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && (allowHTTP || IsLoopback(u.Hostname())):
		return nil
	}
	return fmt.Errorf("%s %q must use https (plain http is allowed only on loopback hosts or when explicitly enabled)", field, raw)
}

// IsLoopback reports whether host names the loopback interface.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
