package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tokengate/tokengate/internal/dpoptest"
	"github.com/tokengate/tokengate/issuertest"
)

// Step 11 (RFC 9449 §5, §7, §11.1): a DPoP-bound token works with its
// proof and with nothing else.
func (s *story) dpop() error {
	key, thief := dpoptest.NewKey("ES256"), dpoptest.NewKey("ES256")
	tok, err := s.dpopToken(key)
	if err != nil {
		return err
	}
	s.rep.say("token request with a DPoP proof → token_type %s, an access token bound to the key: cnf.jkt = %s (RFC 7638 thumbprint)", tok.TokenType, key.JKT())
	if err := expect("token_type", tok.TokenType, "DPoP"); err != nil {
		return err
	}
	proof := key.Sign(dpoptest.Proof{Method: "GET", URL: s.api.url + "/dpop/orders", Token: tok.AccessToken, IAT: s.clock.Now()})
	s.rep.say("DPoP proof %s: typ dpop+jwt, the public jwk, signed by the key, for htm GET, htu %s/dpop/orders, ath = hash of the token", short(proof), s.api.url)
	checks := []struct {
		what, path, auth, proof string
		status                  int
		want                    string
	}{
		{"DPoP token with its proof", "/dpop/orders", "DPoP " + tok.AccessToken, proof, http.StatusOK, ""},
		{"the same proof replayed", "/dpop/orders", "DPoP " + tok.AccessToken, proof, http.StatusUnauthorized, `error="invalid_dpop_proof"`},
		{"the token stolen, with the thief's own proof", "/dpop/orders", "DPoP " + tok.AccessToken,
			thief.Sign(dpoptest.Proof{Method: "GET", URL: s.api.url + "/dpop/orders", Token: tok.AccessToken, IAT: s.clock.Now()}), http.StatusUnauthorized, `error="invalid_token"`},
		{"the token stolen, sent as a bearer token", "/orders", "Bearer " + tok.AccessToken, "", http.StatusUnauthorized, `error="invalid_token"`},
		{"the token stolen, as a bearer token where DPoP is required", "/dpop/orders", "Bearer " + tok.AccessToken, "", http.StatusUnauthorized, `DPoP algs=`},
	}
	for _, c := range checks {
		resp, err := s.callDPoP(c.path, c.auth, c.proof)
		if err != nil {
			return err
		}
		s.rep.say("%s: GET %s → %d", c.what, c.path, resp.status)
		if resp.challenge != "" {
			s.rep.say("  WWW-Authenticate: %s", resp.challenge)
		}
		if err := expectChallenge(resp, c.status, c.want); err != nil {
			return fmt.Errorf("%s: %w", c.what, err)
		}
	}
	return nil
}

// dpopToken gets a token for the service client (client_credentials)
// through golang.org/x/oauth2, whose transport adds a DPoP proof of key to
// each token request: x/oauth2 knows nothing of DPoP, but it takes the
// HTTP client from the context.
func (s *story) dpopToken(key *dpoptest.Key) (*oauth2.Token, error) {
	conf := clientcredentials.Config{
		ClientID: issuertest.ServiceClientID, ClientSecret: issuertest.ServiceClientSecret,
		TokenURL: s.oidc.Endpoint().TokenURL, Scopes: []string{"orders:read"},
	}
	client := &http.Client{Timeout: s.http.Timeout, Transport: proofTransport{key: key, now: s.clock, next: http.DefaultTransport}}
	return conf.Token(context.WithValue(s.ctx, oauth2.HTTPClient, client))
}

// proofTransport signs a DPoP proof for every request it sends.
type proofTransport struct {
	key  *dpoptest.Key
	now  *issuertest.Clock
	next http.RoundTripper
}

func (t proofTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	u := *r.URL
	u.RawQuery, u.Fragment = "", ""
	r.Header.Set("DPoP", t.key.Sign(dpoptest.Proof{Method: r.Method, URL: u.String(), IAT: t.now.Now()}))
	return t.next.RoundTrip(r)
}

// callDPoP sends GET path with the Authorization value auth and a DPoP
// proof when proof is set.
func (s *story) callDPoP(path, auth, proof string) (apiResponse, error) {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodGet, s.api.url+path, nil)
	if err != nil {
		return apiResponse{}, err
	}
	req.Header.Set("Authorization", auth)
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return apiResponse{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return apiResponse{resp.StatusCode, strings.Join(resp.Header.Values("WWW-Authenticate"), ", "), strings.TrimSpace(string(body))}, err
}
