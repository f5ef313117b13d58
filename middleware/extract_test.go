package middleware

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"
)

func TestQueryToken(t *testing.T) {
	tests := []struct {
		name       string
		allow      bool
		query      string
		auth       string
		wantStatus int
		wantCache  string
	}{
		{name: "ignored by default (RFC 6750 §2.3 is opt-in)", query: "access_token=reader", wantStatus: 401},
		{name: "accepted when allowed, marked private", allow: true, query: "access_token=reader", wantStatus: 200, wantCache: "private"},
		{name: "header still works when allowed", allow: true, auth: "Bearer reader", wantStatus: 200},
		{name: "header and query: two methods", allow: true, query: "access_token=reader", auth: "Bearer reader", wantStatus: 400},
		{name: "second token smuggled in a repeated parameter", allow: true, query: "access_token=reader&access_token=admin", wantStatus: 400},
		{name: "empty parameter", allow: true, query: "access_token=", wantStatus: 400},
		{name: "characters outside b64token", allow: true, query: "access_token=" + url.QueryEscape("a b"), wantStatus: 400},
		{name: "oversized", allow: true, query: "access_token=" + strings.Repeat("a", 8193), wantStatus: 401},
		{name: "basic header plus query token", allow: true, query: "access_token=reader", auth: "Basic dXNlcjpwYXNz", wantStatus: 200, wantCache: "private"},
		{name: "malformed header is not rescued by the query", allow: true, query: "access_token=reader", auth: "Bearer a b", wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := &recorder{}
			h := (&Guard{AllowQueryToken: tt.allow}).Require(&fakeVerifier{})(next)
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/orders?"+tt.query, nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			res := serve(t, h, r)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if got := res.Header.Get("Cache-Control"); got != tt.wantCache {
				t.Errorf("Cache-Control = %q, want %q", got, tt.wantCache)
			}
		})
	}
}

func TestFormToken(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	tests := []struct {
		name        string
		allow       bool
		method      string
		contentType string
		body        string
		auth        string
		wantStatus  int
	}{
		{name: "ignored by default (RFC 6750 §2.2 is opt-in)", method: "POST", contentType: form, body: "access_token=reader", wantStatus: 401},
		{name: "accepted in a POST form when allowed", allow: true, method: "POST", contentType: form, body: "a=1&access_token=reader", wantStatus: 200},
		{name: "content type parameters are fine", allow: true, method: "PUT", contentType: form + "; charset=utf-8", body: "access_token=reader", wantStatus: 200},
		{name: "never from a GET body (RFC 6750 §2.2)", allow: true, method: "GET", contentType: form, body: "access_token=reader", wantStatus: 401},
		{name: "never from multipart", allow: true, method: "POST", contentType: "multipart/form-data; boundary=x", body: "--x\r\nContent-Disposition: form-data; name=\"access_token\"\r\n\r\nreader\r\n--x--\r\n", wantStatus: 401},
		{name: "never from JSON", allow: true, method: "POST", contentType: "application/json", body: `{"access_token":"reader"}`, wantStatus: 401},
		{name: "header and form: two methods", allow: true, method: "POST", contentType: form, body: "access_token=reader", auth: "Bearer reader", wantStatus: 400},
		{name: "second token smuggled in a repeated field", allow: true, method: "POST", contentType: form, body: "access_token=reader&access_token=admin", wantStatus: 400},
		{name: "header only, form without token", allow: true, method: "POST", contentType: form, body: "a=1", auth: "Bearer reader", wantStatus: 200},
		{name: "body too large to search", allow: true, method: "POST", contentType: form, body: "a=" + strings.Repeat("x", MaxFormBytes) + "&access_token=reader", wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen string
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				seen = string(b)
			})
			h := (&Guard{AllowFormToken: tt.allow}).Require(&fakeVerifier{})(next)
			r := httptest.NewRequestWithContext(t.Context(), tt.method, "/orders", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", tt.contentType)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			res := serve(t, h, r)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus == 200 && seen != tt.body {
				t.Errorf("next handler read body %q, want it restored: %q", seen, tt.body)
			}
		})
	}
}

func TestFormTokenBodyIsBounded(t *testing.T) {
	// A client announcing a huge body is refused without reading it.
	r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/orders", iotest.ErrReader(errors.New("must not be read")))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.ContentLength = MaxFormBytes + 1
	res := serve(t, (&Guard{AllowFormToken: true}).Require(&fakeVerifier{})(&recorder{}), r)
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", res.StatusCode)
	}
}

func TestFormTokenReadErrorIsABadRequest(t *testing.T) {
	r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/orders", iotest.ErrReader(errors.New("connection reset")))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res := serve(t, (&Guard{AllowFormToken: true}).Require(&fakeVerifier{})(&recorder{}), r)
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", res.StatusCode)
	}
}

func TestPreflight(t *testing.T) {
	tests := []struct {
		name       string
		allow      bool
		header     map[string]string
		wantStatus int
	}{
		{name: "preflight needs a token by default", header: map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}, wantStatus: 401},
		{name: "preflight let through when allowed", allow: true, header: map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}, wantStatus: 200},
		{name: "plain OPTIONS is not a preflight", allow: true, wantStatus: 401},
		{name: "OPTIONS with Origin only is not a preflight", allow: true, header: map[string]string{"Origin": "https://app.example"}, wantStatus: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := &recorder{}
			h := (&Guard{AllowPreflight: tt.allow}).Require(&fakeVerifier{})(next)
			r := httptest.NewRequestWithContext(t.Context(), http.MethodOptions, "/orders", nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			res := serve(t, h, r)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if next.called && next.claims != nil {
				t.Error("preflight carried claims")
			}
		})
	}
}
