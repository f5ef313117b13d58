package middleware

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/tokengate/tokengate/internal/bearer"
)

// method is one way besides the Authorization header by which a request
// may carry its token.
type method struct {
	read  func(p *policy, r *http.Request) (string, bool, error)
	query bool // the token is in the URL (RFC 6750 §2.3)
}

// The methods, in the order they are read.
var (
	headerMethod = method{read: (*policy).headerToken}
	cookieMethod = method{read: (*policy).cookieToken}
	queryMethod  = method{read: (*policy).queryToken, query: true}
	formMethod   = method{read: (*policy).formToken}
)

// methods returns the methods the Guard enables, built once by compile.
func (p *policy) methods() []method { return p.enabled }

// enableMethods fills p.enabled and p.otherMethods from the Guard.
func (p *policy) enableMethods() {
	for _, m := range []struct {
		on bool
		m  method
	}{
		{p.opts.TokenHeader != "", headerMethod},
		{p.opts.TokenCookie != "", cookieMethod},
		{p.opts.AllowQueryToken, queryMethod},
		{p.opts.AllowFormToken, formMethod},
	} {
		if m.on {
			p.enabled = append(p.enabled, m.m)
		}
	}
	p.otherMethods = len(p.enabled) > 0
}

// headerToken reads Guard.TokenHeader: one value, the bare token.
func (p *policy) headerToken(r *http.Request) (string, bool, error) {
	return p.single(r.Header.Values(p.opts.TokenHeader))
}

// cookieToken reads Guard.TokenCookie. Two cookies of that name (one
// planted by a sibling domain, as cookie tossing does) are two tokens. A
// token from the cookie counts only if Guard.CookieCheck accepts the
// request.
func (p *policy) cookieToken(r *http.Request) (string, bool, error) {
	var values []string
	for _, c := range r.CookiesNamed(p.opts.TokenCookie) {
		values = append(values, c.Value)
	}
	token, ok, err := p.single(values)
	if !ok || err != nil {
		return "", false, err
	}
	if err := p.opts.CookieCheck(r); err != nil {
		return "", false, fmt.Errorf("%w: %w", bearer.ErrCrossSite, err)
	}
	return token, true, nil
}

// checkSources reports a token source the Guard names badly.
func (g *Guard) checkSources() error {
	if g.TokenCookie != "" {
		if g.CookieCheck == nil {
			return fmt.Errorf("middleware: Guard.TokenCookie %q needs Guard.CookieCheck, a cross-site request check such as http.NewCrossOriginProtection().Check", g.TokenCookie)
		}
		if !bearer.IsToken(g.TokenCookie) {
			return fmt.Errorf("middleware: Guard.TokenCookie %q is not a cookie name (RFC 6265 §4.1.1)", g.TokenCookie)
		}
	}
	if g.TokenCookie == "" && g.CookieCheck != nil {
		return fmt.Errorf("middleware: Guard.CookieCheck is set but Guard.TokenCookie is not; set both or neither")
	}
	if g.TokenHeader != "" {
		if !bearer.IsToken(g.TokenHeader) {
			return fmt.Errorf("middleware: Guard.TokenHeader %q is not a header name (RFC 9110 §5.1)", g.TokenHeader)
		}
		if strings.EqualFold(g.TokenHeader, "Authorization") {
			return fmt.Errorf("middleware: Guard.TokenHeader %q: the Authorization header is always read; name another header", g.TokenHeader)
		}
	}
	return nil
}
