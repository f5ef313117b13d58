package middleware

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tokengate/tokengate/internal/netpolicy"
)

// WellKnownPath is where a resource without a path component serves its
// Protected Resource Metadata (RFC 9728 §3).
const WellKnownPath = "/.well-known/oauth-protected-resource"

// ProtectedResourceMetadata is an OAuth 2.0 Protected Resource Metadata
// document (RFC 9728 §2, https://www.rfc-editor.org/rfc/rfc9728). Serving
// it tells clients (MCP clients among them) which authorization servers
// issue tokens for this API and which scopes it knows; the resource_metadata
// attribute of each challenge ([Guard.ResourceMetadata]) points them here:
//
//	md := &middleware.ProtectedResourceMetadata{
//		Resource:               "https://api.example.com",
//		AuthorizationServers:   []string{"https://issuer.example.com"},
//		ScopesSupported:        []string{"orders:read", "orders:write"},
//		BearerMethodsSupported: []string{"header"},
//	}
//	mux.Handle("GET "+middleware.WellKnownPath, md)
//
// Fields are serialized with the RFC's member names; empty ones are left
// out.
type ProtectedResourceMetadata struct {
	// Resource is the resource identifier: an https URL without fragment,
	// the value clients put in RFC 8707 resource parameters. Required; it
	// must equal the URL the metadata was derived from (RFC 9728 §3.3).
	Resource string `json:"resource"`

	// AuthorizationServers lists the issuer identifiers (RFC 8414) of the
	// authorization servers this resource accepts tokens from.
	AuthorizationServers []string `json:"authorization_servers,omitempty"`

	// JWKSURI is the URL of this resource's own public keys, used when it
	// signs responses; not the issuer's keys.
	JWKSURI string `json:"jwks_uri,omitempty"`

	// ScopesSupported lists the scopes the resource uses in authorization
	// requests.
	ScopesSupported []string `json:"scopes_supported,omitempty"`

	// BearerMethodsSupported lists how tokens may be sent: "header"
	// (RFC 6750 §2.1), "body" (§2.2), "query" (§2.3). Match it to the
	// Guard: "header", plus "body" with AllowFormToken and "query" with
	// AllowQueryToken.
	BearerMethodsSupported []string `json:"bearer_methods_supported,omitempty"`

	// ResourceSigningAlgValuesSupported lists the JWS algorithms the
	// resource signs responses with.
	ResourceSigningAlgValuesSupported []string `json:"resource_signing_alg_values_supported,omitempty"`

	// ResourceName is a human-readable name of the resource.
	ResourceName string `json:"resource_name,omitempty"`

	// ResourceDocumentation is the URL of developer documentation.
	ResourceDocumentation string `json:"resource_documentation,omitempty"`

	// ResourcePolicyURI is the URL of the resource's data-use policy.
	ResourcePolicyURI string `json:"resource_policy_uri,omitempty"`

	// ResourceTOSURI is the URL of the resource's terms of service.
	ResourceTOSURI string `json:"resource_tos_uri,omitempty"`

	// TLSClientCertificateBoundAccessTokens reports support for mutual-TLS
	// bound tokens (RFC 8705).
	TLSClientCertificateBoundAccessTokens bool `json:"tls_client_certificate_bound_access_tokens,omitempty"`

	// AuthorizationDetailsTypesSupported lists the RFC 9396
	// authorization_details types the resource understands.
	AuthorizationDetailsTypesSupported []string `json:"authorization_details_types_supported,omitempty"`

	// DPoPSigningAlgValuesSupported lists the JWS algorithms accepted in
	// DPoP proofs (RFC 9449).
	DPoPSigningAlgValuesSupported []string `json:"dpop_signing_alg_values_supported,omitempty"`

	// DPoPBoundAccessTokensRequired reports that only DPoP-bound tokens are
	// accepted (RFC 9449).
	DPoPBoundAccessTokensRequired bool `json:"dpop_bound_access_tokens_required,omitempty"`
}

// ServeHTTP answers GET and HEAD with the document as application/json
// (RFC 9728 §3.2) and other methods with 405. A document without Resource
// is a configuration error and is answered with 500.
func (m *ProtectedResourceMetadata) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if m.Resource == "" {
		http.Error(w, "middleware: protected resource metadata has no resource", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(m); err != nil {
		http.Error(w, "middleware: encoding protected resource metadata failed", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	if r.Method == http.MethodGet {
		_, _ = w.Write(buf.Bytes())
	}
}

// ResourceMetadataURL returns where the metadata of the resource identified
// by resource is published (RFC 9728 §3.1): the well-known path is inserted
// between the host and the resource's path and query, so
// "https://api.example.com/v1" gives
// "https://api.example.com/.well-known/oauth-protected-resource/v1". It is
// the value for [Guard.ResourceMetadata]. resource must be an absolute https
// URL (http only on a loopback host) without fragment.
func ResourceMetadataURL(resource string) (string, error) {
	if err := netpolicy.CheckURL("resource", resource, false); err != nil {
		return "", fmt.Errorf("middleware: %w", err)
	}
	u, _ := url.Parse(resource)
	// RFC 9728 §3.1: a terminating slash after the host is removed.
	out := u.Scheme + "://" + u.Host + WellKnownPath + strings.TrimSuffix(u.EscapedPath(), "/")
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out, nil
}
