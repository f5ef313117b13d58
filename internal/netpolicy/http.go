package netpolicy

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Redirects is what a client made by [Client] does with a redirect.
type Redirects uint8

const (
	// NoRedirects hands the redirect response back instead of following
	// it: for calls that carry a token or credentials (introspection).
	NoRedirects Redirects = iota + 1

	// SameOrigin follows redirects within the origin of the first request
	// only, at most maxRedirects, and still applies the caller's own
	// CheckRedirect: for public documents (discovery, key sets).
	SameOrigin
)

// maxRedirects bounds same-origin redirects when the caller's client has no
// CheckRedirect of its own (net/http's default is also 10).
const maxRedirects = 10

// ErrCrossOrigin stops a redirect to another origin.
var ErrCrossOrigin = errors.New("redirect to another origin refused")

// Client returns a shallow copy of client (a new client when nil) with the
// redirect policy r. The caller's client is never modified. The copy keeps
// the caller's Timeout, if any; tokengate's calls carry their own
// deadlines.
func Client(client *http.Client, r Redirects) *http.Client {
	var c http.Client
	if client != nil {
		c = *client
	}
	next := c.CheckRedirect
	switch r {
	case NoRedirects:
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	case SameOrigin:
		c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if Origin(req.URL) != Origin(via[0].URL) {
				return ErrCrossOrigin
			}
			if next != nil {
				return next(req, via)
			}
			if len(via) >= maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			return nil
		}
	default:
		panic("netpolicy: unknown redirect policy")
	}
	return &c
}

// ErrBodyTooLarge reports a body longer than the limit it was read with.
var ErrBodyTooLarge = errors.New("body too large")

// ReadBody reads all of r, or fails with [ErrBodyTooLarge] once it is
// longer than limit: a cut-off document is an error, never silently a
// shorter one.
func ReadBody(r io.Reader, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w: over %d bytes", ErrBodyTooLarge, limit)
	}
	return body, nil
}

// LimitBody wraps a response body so that reading past limit fails with
// [ErrBodyTooLarge], for bodies a library reads itself (go-oidc reads the
// discovery document with io.ReadAll).
func LimitBody(rc io.ReadCloser, limit int64) io.ReadCloser {
	return &limitedBody{rc: rc, left: limit}
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
