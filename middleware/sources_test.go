package middleware

import (
	"errors"
	"net/http"
	"testing"

	"github.com/tokengate/tokengate/scopes"
)

// sameOrigin is a CookieCheck that stands for a real one such as
// http.CrossOriginProtection: it accepts the requests the test marks.
func sameOrigin(r *http.Request) error {
	if r.Header.Get("Sec-Fetch-Site") != "same-origin" {
		return errors.New("cross-origin request")
	}
	return nil
}

func TestTokenCookie(t *testing.T) {
	g := &Guard{TokenCookie: "__Host-access", CookieCheck: sameOrigin}
	tests := []struct {
		name    string
		cookies []string // values of __Host-access
		auth    string
		site    string
		want    int
	}{
		{name: "cookie on a same-origin request", cookies: []string{"reader"}, site: "same-origin", want: 200},
		{name: "CSRF: cookie on a cross-site request refused before verifying", cookies: []string{"reader"}, site: "cross-site", want: 400},
		{name: "CSRF: cookie on a request without fetch metadata", cookies: []string{"reader"}, want: 400},
		{name: "cookie tossing: a second cookie of the same name", cookies: []string{"reader", "admin"}, site: "same-origin", want: 400},
		{name: "cookie and header: two methods (RFC 6750 §2)", cookies: []string{"reader"}, auth: "Bearer reader", site: "same-origin", want: 400},
		{name: "bad token in the cookie still refused", cookies: []string{"expired"}, site: "same-origin", want: 401},
		{name: "header alone still works", auth: "Bearer reader", want: 200},
		{name: "nothing at all", want: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fv := &fakeVerifier{}
			rec := &recorder{}
			r := request(t)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			for _, c := range tt.cookies {
				r.AddCookie(&http.Cookie{Name: "__Host-access", Value: c})
			}
			if tt.site != "" {
				r.Header.Set("Sec-Fetch-Site", tt.site)
			}
			res := serve(t, g.Require(fv)(rec), r)
			if res.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", res.StatusCode, tt.want)
			}
			if tt.want == 400 && fv.calls != 0 {
				t.Errorf("verifier called %d times for a refused request, want 0", fv.calls)
			}
		})
	}
}

func TestTokenHeader(t *testing.T) {
	g := &Guard{TokenHeader: "X-Forwarded-Access-Token"}
	tests := []struct {
		name   string
		header []string
		auth   string
		want   int
	}{
		{name: "bare token in the named header", header: []string{"reader"}, want: 200},
		{name: "header and Authorization: two methods", header: []string{"reader"}, auth: "Bearer reader", want: 400},
		{name: "two values of the named header", header: []string{"reader", "admin"}, want: 400},
		{name: "scheme in the named header is not a b64token", header: []string{"Bearer reader"}, want: 400},
		{name: "bad token in the named header", header: []string{"expired"}, want: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(t)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			for _, v := range tt.header {
				r.Header.Add("X-Forwarded-Access-Token", v)
			}
			if got := serve(t, g.Require(&fakeVerifier{})(&recorder{}), r).StatusCode; got != tt.want {
				t.Errorf("status = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestTokenSourcesPanicAtSetup(t *testing.T) {
	for name, g := range map[string]*Guard{
		"cookie without a CSRF check": {TokenCookie: "__Host-access"},
		"CSRF check without a cookie": {CookieCheck: sameOrigin},
		"cookie name with a space":    {TokenCookie: "a b", CookieCheck: sameOrigin},
		"Authorization as the header": {TokenHeader: "authorization"},
		"header name with a colon":    {TokenHeader: "X-Token:"},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("Require() did not panic")
				}
			}()
			g.Require(&fakeVerifier{})
		})
	}
}

func TestOptional(t *testing.T) {
	tests := []struct {
		name       string
		auth       []string
		want       int
		wantClaims bool
		wantCalls  int
	}{
		{name: "no credentials: the handler runs without claims", want: 200},
		{name: "valid token: claims", auth: []string{"Bearer reader"}, want: 200, wantClaims: true, wantCalls: 1},
		{name: "bad token still refused, never anonymous", auth: []string{"Bearer expired"}, want: 401, wantCalls: 1},
		{name: "malformed header still refused", auth: []string{"Bearer  reader"}, want: 400},
		{name: "another scheme is not the absence of credentials", auth: []string{"Basic dXNlcjpwYXNz"}, want: 401},
		{name: "valid token without the scope", auth: []string{"Bearer noscope"}, want: 403, wantCalls: 1},
		{name: "issuer down: 503, not anonymous", auth: []string{"Bearer jwksdown"}, want: 503, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fv, rec := &fakeVerifier{}, &recorder{}
			res := serve(t, (&Guard{}).Optional(fv, scopes.All("orders:read"))(rec), request(t, tt.auth...))
			if res.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", res.StatusCode, tt.want)
			}
			if rec.called != (tt.want == 200) || (rec.claims != nil) != tt.wantClaims {
				t.Errorf("handler called %v with claims %v, want called %v with claims %v", rec.called, rec.claims, tt.want == 200, tt.wantClaims)
			}
			if fv.calls != tt.wantCalls {
				t.Errorf("verifier calls = %d, want %d", fv.calls, tt.wantCalls)
			}
		})
	}
}
