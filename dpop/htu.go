package dpop

import (
	"net/url"
	"strings"
)

// sameURL reports whether a proof's "htu" names the request URL (RFC 9449
// §4.3 step 9). The htu must be an absolute http(s) URL without user
// info, query or fragment ("without query and fragment parts", RFC 9449
// §4.2); both are compared after the syntax- and scheme-based
// normalization of RFC 3986 §6.2.2 and §6.2.3: scheme and host in lower
// case, the default port dropped, an empty path as "/".
func sameURL(htu, request string) bool {
	a, ok := normalURL(htu)
	if !ok {
		return false
	}
	b, ok := normalURL(request)
	return ok && a == b
}

func normalURL(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#") {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return "", false
	}
	host := strings.ToLower(u.Host)
	switch {
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		host = strings.TrimSuffix(host, ":443")
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		host = strings.TrimSuffix(host, ":80")
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, true
}
