package introspection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/netpolicy"
)

// call makes one introspection request for token (RFC 7662 §2.1) and
// returns the body of a 200 response; for any other outcome it returns
// the verdict instead. Every fault wraps tokengate.ErrUnavailable: it says
// nothing about the token. Error texts quote the server through q, so
// that an echoed token is not repeated.
//
// The token travels only in the form-encoded body, never in the URL, and
// url.Values escapes every byte so that the endpoint decodes exactly the
// token it was given.
func (i *Introspector) call(ctx context.Context, token string, q quoter) ([]byte, verdict) {
	form := url.Values{
		"token":           {token},
		"token_type_hint": {"access_token"},
	}
	if err := i.authenticate(form); err != nil {
		return nil, verdict{err: fmt.Errorf("%w: %w", err, tokengate.ErrUnavailable)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, i.endpointURL(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, verdict{err: fmt.Errorf("introspection: building the request: %w: %w", tokengate.ErrUnavailable, err)}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	i.authenticateHeader(req)
	resp, err := i.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, trip(fmt.Errorf("introspection: calling the endpoint: %w: %w", tokengate.ErrUnavailable, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, i.status(resp, q)
	}
	body, err := readBody(resp.Body, i.cfg.MaxBodyBytes)
	if err != nil {
		return nil, trip(err)
	}
	return body, verdict{}
}

// refusedByStatus is the verdict of a 400 whose "error" code refuses the
// token itself, as fresh from the endpoint or as stored in the shared
// cache. code is one of two fixed values, so it is not the token.
func refusedByStatus(code string) verdict {
	return verdict{final: true, refusal: code, err: fmt.Errorf("introspection: the endpoint will not introspect this token (status 400 \"error\" %s, want 200): a server may answer so for every JWT, which verifier.New checks: %w",
		quote(code), tokengate.ErrInvalidToken)}
}

// trip is a fault that counts against the breaker: it says the endpoint
// is failing, not that something is wrong with this one request.
func trip(err error) verdict { return verdict{err: err, trips: true} }

// oauthError is the JSON error body of RFC 6749 §5.2.
type oauthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

// maxErrorBody bounds the error body read; error bodies are short.
const maxErrorBody = 16 << 10

// status turns a response other than 200 into a verdict:
//
//   - a 400 whose "error" says the token is not one the server will
//     introspect ("unsupported_token_type", which node-oidc-provider
//     answers for any JWT, or "invalid_token") refuses the token;
//   - 401, 403, or a 400 "invalid_client", refuses our credentials
//     (RFC 7662 §2.1): a fault that trips the breaker;
//   - any other 400, or a 413, says this request is malformed: a fault,
//     logged, which does not trip the breaker, since a hostile token must
//     not be able to stop the checks of everyone else's;
//   - a redirect, which is not followed since it would send the token
//     elsewhere, and any other status are faults that trip it.
func (i *Introspector) status(resp *http.Response, q quoter) verdict {
	code := resp.StatusCode
	var e oauthError
	if code == http.StatusBadRequest || code == http.StatusUnauthorized || code == http.StatusForbidden {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		json.Unmarshal(body, &e) // a body that is not JSON leaves e empty
	}
	switch {
	case code == http.StatusBadRequest && (e.Code == "unsupported_token_type" || e.Code == "invalid_token"):
		return refusedByStatus(e.Code)
	case code == http.StatusUnauthorized || code == http.StatusForbidden || e.Code == "invalid_client":
		return trip(&credentialsError{status: code, code: q.q(e.Code), clientID: i.cfg.ClientID, method: i.cfg.AuthMethod})
	case code == http.StatusBadRequest || code == http.StatusRequestEntityTooLarge:
		err := fmt.Errorf("introspection: the endpoint says our request is malformed (status %d, \"error\" %s, \"error_description\" %s): %w",
			code, q.q(e.Code), q.q(e.Description), tokengate.ErrUnavailable)
		i.logMalformed(err)
		return verdict{err: err}
	case code >= 300 && code < 400:
		return trip(fmt.Errorf("introspection: the endpoint answered with a redirect (status %d, want 200), which is not followed since it would send the token elsewhere: %w",
			code, tokengate.ErrUnavailable))
	}
	return trip(fmt.Errorf("introspection: the endpoint answered status %d, want 200: %w", code, tokengate.ErrUnavailable))
}

// credentialsError reports that the endpoint refused this resource
// server's client authentication. It wraps tokengate.ErrUnavailable: the
// token could not be checked.
type credentialsError struct {
	status   int
	code     string // the quoted "error" member
	clientID string
	method   string
}

func (e *credentialsError) Error() string {
	return fmt.Sprintf("introspection: the endpoint refused the credentials of Config.ClientID %s with Config.AuthMethod %s (status %d, \"error\" %s, RFC 7662 §2.1): check ClientID, the secret or key, and AuthMethod: %v",
		quote(e.clientID), quote(e.method), e.status, e.code, tokengate.ErrUnavailable)
}

func (e *credentialsError) Unwrap() error { return tokengate.ErrUnavailable }

// readBody reads at most max bytes; a longer body is an error, not a
// truncated document.
func readBody(r io.Reader, max int64) ([]byte, error) {
	body, err := netpolicy.ReadBody(r, max)
	switch {
	case errors.Is(err, netpolicy.ErrBodyTooLarge):
		return nil, fmt.Errorf("introspection: response body larger than %d bytes (Config.MaxBodyBytes): %w", max, tokengate.ErrUnavailable)
	case err != nil:
		return nil, fmt.Errorf("introspection: reading the response: %w: %w", tokengate.ErrUnavailable, err)
	}
	return body, nil
}

// isCredentialsError reports whether err says our credentials were refused.
func isCredentialsError(err error) (*credentialsError, bool) {
	var ce *credentialsError
	return ce, errors.As(err, &ce)
}
