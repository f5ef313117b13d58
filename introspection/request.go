package introspection

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/tokengate/tokengate/verifier"
)

// post makes one introspection request for token (RFC 7662 §2.1) and
// returns the body of a 200 response. Every failure wraps
// verifier.ErrUnavailable: it says nothing about the token.
//
// The token travels only in the form-encoded body, never in the URL, and
// url.Values escapes every byte so that the endpoint decodes exactly the
// token it was given.
func (i *Introspector) post(ctx context.Context, token string) ([]byte, error) {
	form := url.Values{
		"token":           {token},
		"token_type_hint": {"access_token"},
	}
	if i.cfg.AuthMethod == authPost {
		form.Set("client_id", i.cfg.ClientID)
		form.Set("client_secret", i.cfg.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, i.cfg.Endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("introspection: building the request: %w: %w", verifier.ErrUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if i.cfg.AuthMethod == authBasic {
		// RFC 6749 §2.3.1: the client identifier and secret are
		// form-urlencoded before they are used as Basic credentials.
		req.SetBasicAuth(url.QueryEscape(i.cfg.ClientID), url.QueryEscape(i.cfg.ClientSecret))
	}
	resp, err := i.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("introspection: calling the endpoint: %w: %w", verifier.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if err := checkStatus(resp); err != nil {
		return nil, err
	}
	return readBody(resp.Body, i.cfg.MaxBodyBytes)
}

// checkStatus accepts 200 only (RFC 7662 §2.2).
func checkStatus(resp *http.Response) error {
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
		return nil
	case code >= 300 && code < 400:
		return fmt.Errorf("introspection: the endpoint answered with a redirect (status %d), which is not followed since it would send the token elsewhere: %w",
			code, verifier.ErrUnavailable)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fmt.Errorf("introspection: the endpoint refused this resource server's credentials (status %d, RFC 7662 §2.1): check Config.ClientID, ClientSecret and AuthMethod: %w",
			code, verifier.ErrUnavailable)
	default:
		return fmt.Errorf("introspection: the endpoint answered status %d: %w", code, verifier.ErrUnavailable)
	}
}

// readBody reads at most max bytes; a longer body is an error, not a
// truncated document.
func readBody(r io.Reader, max int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("introspection: reading the response: %w: %w", verifier.ErrUnavailable, err)
	}
	if int64(len(body)) > max {
		return nil, fmt.Errorf("introspection: response body larger than %d bytes: %w", max, verifier.ErrUnavailable)
	}
	return body, nil
}
