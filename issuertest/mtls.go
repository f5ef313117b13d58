package issuertest

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
)

// WithTLSClientCertificates serves the issuer over TLS, on https URLs,
// and asks every client for a certificate (RFC 8705). An access token
// issued to a client that presented one is bound to it: its "cnf" holds
// the certificate's "x5t#S256" thumbprint (RFC 8705 §3), in the token and
// in introspection, and the metadata says
// tls_client_certificate_bound_access_tokens. Any certificate will do,
// self-signed included (RFC 8705 §2.2), since the binding is to the
// certificate, not to who issued it. Clients trust the server with
// [Server.Client] or [Server.ClientWithCertificate].
func WithTLSClientCertificates() Option {
	return optionFunc(func(c *config) { c.mtls = true })
}

// scheme is the scheme of the server's URLs.
func (s *Server) scheme() string {
	if s.cfg.mtls {
		return "https"
	}
	return "http"
}

// start serves plain HTTP, or TLS asking for client certificates.
func (s *Server) start() {
	if !s.cfg.mtls {
		s.http.Start()
		return
	}
	s.http.TLS = &tls.Config{ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12}
	s.http.StartTLS()
}

// Certificate returns the server's TLS certificate with
// [WithTLSClientCertificates], for a client's root CAs; nil otherwise.
func (s *Server) Certificate() *x509.Certificate { return s.http.Certificate() }

// ClientWithCertificate returns an HTTP client that trusts the server and
// presents cert as its TLS client certificate; with a plain HTTP server it
// is [Server.Client].
func (s *Server) ClientWithCertificate(cert tls.Certificate) *http.Client {
	c := s.http.Client()
	t, ok := c.Transport.(*http.Transport)
	if !ok || t.TLSClientConfig == nil {
		return c
	}
	t = t.Clone()
	t.TLSClientConfig.Certificates = []tls.Certificate{cert}
	return &http.Client{Transport: t, Timeout: c.Timeout}
}
