package netpolicy

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// CheckURL reports whether raw, the value of the config field named field,
// may be called: an absolute URL with a host, no user info (credentials do
// not belong in a URL) and no fragment, whose scheme is https, or http on a
// loopback host (RFC 8252 §8.3 reasoning: loopback traffic never leaves the
// machine), or http anywhere when allowHTTP is set. Errors name the field.
func CheckURL(field, raw string, allowHTTP bool) error {
	if raw == "" {
		return fmt.Errorf("%s is required", field)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("%s %s is not a URL: %v", field, Quote(raw), err)
	case !u.IsAbs() || u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%s %s is not an absolute URL with a host", field, Quote(raw))
	case u.User != nil:
		return fmt.Errorf("%s must not carry credentials in its user info", field)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Errorf("%s %s must not have a fragment", field, Quote(raw))
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && (allowHTTP || IsLoopback(u.Hostname())):
		return nil
	case u.Scheme == "http":
		return fmt.Errorf("%s %s must use https (plain http is allowed only on loopback hosts or when explicitly enabled)", field, Quote(raw))
	}
	return fmt.Errorf("%s %s: scheme %s is not https", field, Quote(raw), Quote(u.Scheme))
}

// IsLoopback reports whether host, a URL's Hostname, names the loopback
// interface: "localhost" in any case, 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Origin is the RFC 6454 origin of u: scheme, host and port, lower case,
// with the scheme's default port made explicit.
func Origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}
