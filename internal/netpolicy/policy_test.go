package netpolicy

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		raw       string
		allowHTTP bool
		ok        bool
	}{
		{"https://issuer.example.com/", false, true},
		{"http://127.0.0.1:9400", false, true},
		{"http://LOCALHOST:9400", false, true}, // case-folded, as everywhere (the drift the one definition ends)
		{"http://[::1]:1/x", false, true},
		{"http://issuer.example.com", false, false}, // downgrade
		{"http://issuer.example.com", true, true},
		{"", false, false},
		{"/relative", false, false},
		{"https://user:pw@issuer.example.com", false, false},
		{"https://issuer.example.com/#frag", false, false},
		{"https://issuer.example.com/#", false, false},
		{"ftp://issuer.example.com", false, false},
		{"https:///nohost", false, false},
		{"ftp://issuer.example.com", true, false},
		{"issuer.example.com", false, false},
	}
	for _, tt := range tests {
		err := CheckURL("Config.Issuer", tt.raw, tt.allowHTTP)
		if (err == nil) != tt.ok {
			t.Errorf("CheckURL(%q, %v) error = %v, want ok %v", tt.raw, tt.allowHTTP, err, tt.ok)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "Config.Issuer") {
			t.Errorf("CheckURL(%q) error = %v, want it to name the field", tt.raw, err)
		}
	}
}

func TestClientRedirects(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("other")) }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/end", http.StatusFound)
		case "/cross":
			http.Redirect(w, r, other.URL+"/end", http.StatusFound)
		default:
			w.Write([]byte("end"))
		}
	}))
	defer srv.Close()
	caller := &http.Client{}
	same := Client(caller, SameOrigin)
	if resp, err := same.Get(srv.URL + "/same"); err != nil || resp.StatusCode != 200 {
		t.Errorf("SameOrigin, same-origin redirect: %v, %v", resp, err)
	}
	if _, err := same.Get(srv.URL + "/cross"); !errors.Is(err, ErrCrossOrigin) {
		t.Errorf("SameOrigin, cross-origin redirect error = %v, want ErrCrossOrigin", err)
	}
	none := Client(caller, NoRedirects)
	if resp, err := none.Get(srv.URL + "/same"); err != nil || resp.StatusCode != http.StatusFound {
		t.Errorf("NoRedirects: %v, %v; want the 302 itself", resp, err)
	}
	if caller.CheckRedirect != nil {
		t.Error("Client modified the caller's client")
	}
}

func TestReadBody(t *testing.T) {
	if b, err := ReadBody(strings.NewReader("12345"), 5); err != nil || string(b) != "12345" {
		t.Errorf("ReadBody(5 of 5) = %q, %v", b, err)
	}
	if _, err := ReadBody(strings.NewReader("123456"), 5); !errors.Is(err, ErrBodyTooLarge) {
		t.Errorf("ReadBody(6 of 5) error = %v, want ErrBodyTooLarge", err)
	}
	if _, err := io.ReadAll(LimitBody(io.NopCloser(strings.NewReader("123456")), 5)); !errors.Is(err, ErrBodyTooLarge) {
		t.Errorf("LimitBody(6 of 5) error = %v, want ErrBodyTooLarge", err)
	}
	if b, err := io.ReadAll(LimitBody(io.NopCloser(strings.NewReader("12345")), 5)); err != nil || len(b) != 5 {
		t.Errorf("LimitBody(5 of 5) = %q, %v", b, err)
	}
}

func TestB64Token(t *testing.T) {
	for s, want := range map[string]int{"abc": -1, "a-._~+/Z9==": -1, "": 0, "=abc": 0, "ab c": 2, "ab==c": 4, "ab\n": 2} {
		if got := B64TokenError(s); got != want {
			t.Errorf("B64TokenError(%q) = %d, want %d", s, got, want)
		}
		if IsB64Token(s) != (want < 0) {
			t.Errorf("IsB64Token(%q) = %v", s, !(want < 0))
		}
	}
}

func TestQuote(t *testing.T) {
	if got := Quote("a\"b\n"); got != `"a\"b\n"` {
		t.Errorf("Quote = %s", got)
	}
	if got := Quote(strings.Repeat("x", 100)); got != `"`+strings.Repeat("x", 80)+`"...` {
		t.Errorf("Quote(100 bytes) = %s", got)
	}
}
