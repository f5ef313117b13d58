package middleware

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tokengate/tokengate/internal/bearer"
	"github.com/tokengate/tokengate/internal/netpolicy"
)

// compileSender checks the Guard's DPoP and certificate fields and returns
// the route's policy on sender-constrained tokens.
func (g *Guard) compileSender() (*bearer.Sender, error) {
	s, err := bearer.NewSender(g.DPoP, g.RequireDPoP)
	switch {
	case err != nil:
		return nil, fmt.Errorf("middleware: Guard.DPoP: %w", err)
	case g.RequireDPoP && (g.AllowQueryToken || g.AllowFormToken):
		return nil, errors.New("middleware: Guard.RequireDPoP excludes AllowQueryToken and AllowFormToken: DPoP tokens come in the Authorization header only (RFC 9449 §7.1)")
	case g.DPoP == nil && (g.ExternalURL != "" || g.RequestURL != nil):
		return nil, errors.New("middleware: Guard.ExternalURL and Guard.RequestURL are for DPoP proofs; set Guard.DPoP")
	case g.DPoP != nil && g.ExternalURL == "" && g.RequestURL == nil:
		return nil, errors.New("middleware: Guard.DPoP needs Guard.ExternalURL (or RequestURL): the URL a proof's htu must name")
	case g.ClientCertHeader != "" && !validHeaderName(g.ClientCertHeader):
		return nil, fmt.Errorf("middleware: Guard.ClientCertHeader %s is not a header name", netpolicy.Quote(g.ClientCertHeader))
	}
	if g.ExternalURL != "" {
		if err := netpolicy.CheckURL("Guard.ExternalURL", g.ExternalURL, false); err != nil {
			return nil, fmt.Errorf("middleware: %w", err)
		}
		if u, _ := url.Parse(g.ExternalURL); u.RawQuery != "" || u.ForceQuery {
			return nil, fmt.Errorf("middleware: Guard.ExternalURL %s has a query", netpolicy.Quote(g.ExternalURL))
		}
		g.ExternalURL = strings.TrimSuffix(g.ExternalURL, "/")
	}
	return s, nil
}

func validHeaderName(name string) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return name != ""
}

// present reads what the request presents: the token and its scheme, for
// DPoP the proofs, method and URL a proof must match, and the client
// certificate's thumbprint (RFC 8705 §3).
func (h *handler) present(r *http.Request) (bearer.Presented, bool) {
	scheme, token, fromQuery, err := h.extract(r)
	p := bearer.Presented{Scheme: scheme, Token: token, ReadErr: err}
	if scheme == bearer.SchemeDPoP && err == nil {
		p.Proofs, p.Method, p.URL = r.Header.Values("DPoP"), r.Method, h.requestURL(r)
	}
	cert, err := h.certificate(r)
	if err != nil && p.ReadErr == nil {
		p.ReadErr = err
	}
	p.Certificate = cert
	return p, fromQuery
}

// requestURL is the URL a DPoP proof for r must name: Guard.RequestURL's
// answer, or Guard.ExternalURL and the path the client asked for. The
// path is read from RequestURI, which http.StripPrefix leaves alone, so a
// route mounted under a prefix still names the URL the client used.
func (h *handler) requestURL(r *http.Request) string {
	if h.opts.RequestURL != nil {
		return h.opts.RequestURL(r)
	}
	path := r.RequestURI
	if u, err := url.ParseRequestURI(path); err == nil && u.Scheme != "" {
		path = u.EscapedPath() // absolute-form request target
	}
	path, _, _ = strings.Cut(path, "?")
	if path == "" || path[0] != '/' {
		path = r.URL.EscapedPath()
	}
	return h.opts.ExternalURL + path
}

// certificate returns the "x5t#S256" of the request's client certificate:
// the one forwarded in Guard.ClientCertHeader when it is set, else the TLS
// connection's own.
func (h *handler) certificate(r *http.Request) (string, error) {
	if h.opts.ClientCertHeader != "" {
		return bearer.ForwardedCertificate(r.Header.Values(h.opts.ClientCertHeader))
	}
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return "", nil
	}
	return bearer.CertificateThumbprint(r.TLS.PeerCertificates[0].Raw), nil
}

// FillMetadata sets the members of an RFC 9728 §2 Protected Resource
// Metadata document that follow from the Guard's DPoP settings:
// dpop_signing_alg_values_supported, the checker's algorithms, and
// dpop_bound_access_tokens_required, set when the Guard requires DPoP
// (RFC 9449 §5.1 and RFC 9728 §2), so that clients learn to get
// DPoP-bound tokens for this resource.
//
//	md := &middleware.ProtectedResourceMetadata{Resource: "https://api.example.com"}
//	g.FillMetadata(md)
func (g *Guard) FillMetadata(md *ProtectedResourceMetadata) {
	md.DPoPSigningAlgValuesSupported = nil
	if g.DPoP != nil {
		md.DPoPSigningAlgValuesSupported = g.DPoP.Algorithms()
	}
	md.DPoPBoundAccessTokensRequired = g.DPoP != nil && g.RequireDPoP
}
