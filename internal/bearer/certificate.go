package bearer

import (
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/url"
	"strings"
)

// MaxForwardedCertificateBytes bounds the header in which a TLS-terminating
// proxy forwards a client certificate; real certificates are far smaller.
const MaxForwardedCertificateBytes = 16 << 10

// ForwardedCertificate returns the "x5t#S256" of the client certificate a
// TLS-terminating proxy forwarded in the values of one header, or "" when
// there is none (no value, or an empty one). The value is either an
// RFC 9440 Client-Cert byte sequence (":" base64 of the DER ":"), or a
// URL-encoded PEM certificate, as nginx ($ssl_client_escaped_cert) and
// other proxies send it. Two values, a value too large and one that
// decodes to no certificate are refused with [ErrForwardedCertificate]:
// the header is only trusted when the proxy sets it.
func ForwardedCertificate(values []string) (string, error) {
	switch len(values) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", fmt.Errorf("%w: %d values, want 1", ErrForwardedCertificate, len(values))
	}
	v := strings.TrimSpace(values[0])
	switch {
	case v == "":
		return "", nil
	case len(v) > MaxForwardedCertificateBytes:
		return "", fmt.Errorf("%w: %d bytes, at most %d", ErrForwardedCertificate, len(v), MaxForwardedCertificateBytes)
	}
	der, err := forwardedDER(v)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrForwardedCertificate, err)
	}
	return CertificateThumbprint(der), nil
}

func forwardedDER(v string) ([]byte, error) {
	if inner, ok := strings.CutPrefix(v, ":"); ok {
		inner, ok = strings.CutSuffix(inner, ":")
		der, err := base64.StdEncoding.DecodeString(inner)
		if !ok || err != nil || len(der) == 0 {
			return nil, fmt.Errorf("not an RFC 9440 byte sequence of base64")
		}
		return der, nil
	}
	unescaped, err := url.PathUnescape(v)
	if err != nil {
		return nil, fmt.Errorf("not URL-encoded: %v", err)
	}
	block, _ := pem.Decode([]byte(unescaped))
	if block == nil || block.Type != "CERTIFICATE" || len(block.Bytes) == 0 {
		return nil, fmt.Errorf("not a PEM CERTIFICATE block")
	}
	return block.Bytes, nil
}
