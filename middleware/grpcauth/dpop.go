package grpcauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/tokengate/tokengate/internal/bearer"
	"github.com/tokengate/tokengate/internal/netpolicy"
)

// nonceKey is the metadata key of the DPoP-Nonce (RFC 9449 §9), in the
// lower case gRPC metadata keys have.
const nonceKey = "dpop-nonce"

// compileSender checks the Policy's DPoP and certificate fields.
func (p *Policy) compileSender() (*bearer.Sender, error) {
	s, err := bearer.NewSender(p.DPoP, p.RequireDPoP)
	switch {
	case err != nil:
		return nil, fmt.Errorf("grpcauth: Policy.DPoP: %w", err)
	case p.DPoP == nil && p.ServiceURL != "":
		return nil, errors.New("grpcauth: Policy.ServiceURL is for DPoP proofs; set Policy.DPoP")
	case p.DPoP != nil && p.ServiceURL == "":
		return nil, errors.New("grpcauth: Policy.DPoP needs Policy.ServiceURL: the URL a proof's htu must name with the method")
	}
	if p.ServiceURL != "" {
		if err := netpolicy.CheckURL("Policy.ServiceURL", p.ServiceURL, false); err != nil {
			return nil, fmt.Errorf("grpcauth: %w", err)
		}
		if u, _ := url.Parse(p.ServiceURL); (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery {
			return nil, fmt.Errorf("grpcauth: Policy.ServiceURL %s must have no path or query: the full method is the path", netpolicy.Quote(p.ServiceURL))
		}
	}
	return s, nil
}

// present reads what the call presents: the token and its scheme, for
// DPoP the proofs ("dpop" metadata) and the URL a proof must name, and the
// client certificate's thumbprint (RFC 8705 §3).
func (c *compiled) present(ctx context.Context, method string) bearer.Presented {
	scheme, token, err := c.sender.ParseHeader(metadata.ValueFromIncomingContext(ctx, "authorization"), c.maxBytes)
	p := bearer.Presented{Scheme: scheme, Token: token, ReadErr: err}
	if scheme == bearer.SchemeDPoP && err == nil {
		// gRPC is HTTP/2 POST to the method's path (gRPC over HTTP/2,
		// "Requests").
		p.Proofs, p.Method, p.URL = metadata.ValueFromIncomingContext(ctx, "dpop"), http.MethodPost, c.serviceURL+method
	}
	cert, err := c.certificate(ctx)
	if err != nil && p.ReadErr == nil {
		p.ReadErr = err
	}
	p.Certificate = cert
	return p
}

// certificate returns the "x5t#S256" of the caller's client certificate:
// forwarded in Policy.ClientCertMetadata when set, else the TLS peer's.
func (c *compiled) certificate(ctx context.Context) (string, error) {
	if c.certKey != "" {
		return bearer.ForwardedCertificate(metadata.ValueFromIncomingContext(ctx, c.certKey))
	}
	pr, ok := peer.FromContext(ctx)
	if !ok {
		return "", nil
	}
	info, ok := pr.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.PeerCertificates) == 0 {
		return "", nil
	}
	return bearer.CertificateThumbprint(info.State.PeerCertificates[0].Raw), nil
}
