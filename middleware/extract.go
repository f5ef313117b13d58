package middleware

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/bearer"
)

// MaxFormBytes bounds how much of a form-encoded body is read to find an
// access_token parameter when [Guard.AllowFormToken] is set.
const MaxFormBytes = 64 << 10

// tokenParam is the parameter name of RFC 6750 §2.2 and §2.3.
const tokenParam = "access_token"

// extract returns the request's one bearer token and whether it came from
// the query. The Authorization header is always read (with the Bearer
// scheme, or DPoP where the Guard accepts it); a named header, a cookie,
// the query and a form body only when the Guard names or allows them. A
// token offered by two methods is refused (RFC 6750 §2: "Clients MUST NOT
// use more than one method to transmit the token in each request").
func (p *policy) extract(r *http.Request) (bearer.Scheme, string, bool, error) {
	scheme, token, err := p.sender.ParseHeader(r.Header.Values("Authorization"), p.maxBytes)
	if !p.otherMethods {
		return scheme, token, false, err
	}
	if err != nil && !errors.Is(err, tokengate.ErrNoToken) {
		return scheme, "", false, err // malformed, oversized or doubled: stop here
	}
	headerErr, found, fromQuery := err, err == nil, false
	for _, m := range p.methods() {
		t, ok, err := m.read(p, r)
		switch {
		case err != nil:
			return scheme, "", false, err
		case ok && found:
			return scheme, "", false, bearer.ErrMultipleTokens
		case ok:
			token, found, fromQuery = t, true, m.query
		}
	}
	if !found {
		return scheme, "", false, headerErr
	}
	return scheme, token, fromQuery, nil
}

// queryToken reads the access_token query parameter (RFC 6750 §2.3).
func (p *policy) queryToken(r *http.Request) (string, bool, error) {
	// Malformed pairs elsewhere in the query are not this middleware's
	// business; ParseQuery keeps the pairs it could decode.
	q, _ := url.ParseQuery(r.URL.RawQuery)
	return p.single(q[tokenParam])
}

// formToken reads the access_token parameter of a form-encoded body
// (RFC 6750 §2.2): only application/x-www-form-urlencoded, never multipart,
// only for methods whose body has defined semantics (never GET). At most
// MaxFormBytes are read, and the body is put back for the next handler.
func (p *policy) formToken(r *http.Request) (string, bool, error) {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return "", false, nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" || r.Body == nil || r.Body == http.NoBody {
		return "", false, nil
	}
	if r.ContentLength > MaxFormBytes {
		return "", false, bearer.ErrFormTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxFormBytes+1))
	r.Body = restoredBody{Reader: bytes.NewReader(body), Closer: r.Body}
	if err != nil {
		return "", false, fmt.Errorf("middleware: reading the form body: %w: %w", tokengate.ErrInvalidRequest, err)
	}
	if len(body) > MaxFormBytes {
		return "", false, bearer.ErrFormTooLarge
	}
	form, _ := url.ParseQuery(string(body))
	return p.single(form[tokenParam])
}

// single returns the one token among a parameter's values.
func (p *policy) single(values []string) (string, bool, error) {
	switch len(values) {
	case 0:
		return "", false, nil
	case 1:
		if err := bearer.CheckToken(values[0], p.maxBytes); err != nil {
			return "", false, err
		}
		return values[0], true, nil
	}
	return "", false, bearer.ErrMultipleTokens
}

// restoredBody gives back the bytes already read, then closes the
// original body.
type restoredBody struct {
	io.Reader
	io.Closer
}
