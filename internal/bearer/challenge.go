package bearer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/binding"
	"github.com/tokengate/tokengate/internal/netpolicy"
	"github.com/tokengate/tokengate/scopes"
)

// Describe returns the error_description for err: a phrase from a fixed
// vocabulary, chosen by the error's class and sentinel and never built from
// the error's text, so it cannot carry a token, a key id, a claim value or
// an upstream response body. It is "" for a missing token, which RFC 6750
// §3 answers with no error information at all.
//
// Every phrase uses only the characters RFC 6750 §3 allows in
// error_description (%x20-21 / %x23-5B / %x5D-7E).
func Describe(err error) string {
	return describe(Classify(err), err)
}

// describe is [Describe] for an error already classified as k.
func describe(k Kind, err error) string {
	switch k {
	case Missing:
		return ""
	case InvalidRequest:
		return pick(err, invalidRequestPhrases, "the request is malformed")
	case InvalidToken:
		return pick(err, invalidTokenPhrases, "the access token is invalid")
	case InsufficientScope:
		var se *scopes.InsufficientScopeError
		if errors.As(err, &se) && len(se.Unmet) > 0 {
			return unmetDescription(se)
		}
		return pick(err, insufficientScopePhrases, "the access token lacks a scope this resource requires")
	case InsufficientUserAuthentication:
		if su := stepUp(err); su != nil {
			return stepUpDescription(su)
		}
		return "a different authentication level is required"
	case InvalidDPoPProof:
		return pick(err, proofPhrases, "the DPoP proof is invalid")
	case UseDPoPNonce:
		return "the DPoP proof must carry the nonce of the DPoP-Nonce header"
	}
	return "the access token cannot be checked now"
}

// phrase pairs a sentinel with the wording clients see for it.
type phrase struct {
	sentinel error
	text     string
}

// The vocabulary, most specific first within each class.
var (
	invalidRequestPhrases = []phrase{
		{ErrMultipleTokens, "the request carries more than one access token"},
		{ErrCrossSite, "the access token cookie came with a cross-site request"},
		{ErrMalformed, "the bearer credential is malformed"},
		{ErrMalformedDPoP, "the DPoP credential is malformed"},
		{ErrForwardedCertificate, "the forwarded client certificate is malformed"},
		{ErrFormTooLarge, "the form body is too large to search for an access token"},
	}
	invalidTokenPhrases = []phrase{
		{ErrTooLarge, "the access token is too large"},
		{tokengate.ErrTokenExpired, "the access token expired"},
		{tokengate.ErrNotAccessToken, "the token is not an access token"},
		{tokengate.ErrWrongIssuer, "the token's issuer is not trusted by this API"},
		{tokengate.ErrWrongAudience, "the token's audience is not this API"},
		{tokengate.ErrBadSignature, "the token's signature is not valid"},
		{tokengate.ErrAlgorithmNotAllowed, "the token's algorithm is not allowed"},
		{tokengate.ErrNotYetValid, "the token is not valid yet"},
		{binding.ErrNotDPoPBound, "the access token is not DPoP-bound but was sent with the DPoP scheme"},
		{binding.ErrKeyMismatch, "the access token is not bound to the DPoP proof's key"},
		{binding.ErrCertificateMismatch, "the access token is not bound to this client certificate"},
		{binding.ErrNoCertificate, "the access token is bound to a client certificate the request does not present"},
		{tokengate.ErrSenderConstrained, "the token is bound to a key and cannot be used as a bearer token"},
		{tokengate.ErrMalformedToken, "the access token is malformed"},
	}
	insufficientScopePhrases = []phrase{
		{ErrDenied, "the access token does not grant access to this resource"},
	}
	proofPhrases = []phrase{
		{binding.ErrProofMissing, "the request carries no DPoP proof"},
		{binding.ErrProofMultiple, "the request carries more than one DPoP proof"},
		{binding.ErrProofTooLarge, "the DPoP proof is too large"},
		{binding.ErrProofAlgorithm, "the DPoP proof's algorithm is not allowed"},
		{binding.ErrProofKey, "the DPoP proof's key is not acceptable"},
		{binding.ErrProofSignature, "the DPoP proof's signature is not valid"},
		{binding.ErrProofMethod, "the DPoP proof is for another HTTP method"},
		{binding.ErrProofURL, "the DPoP proof is for another URL"},
		{binding.ErrProofTime, "the DPoP proof is too old or issued in the future"},
		{binding.ErrProofTokenHash, "the DPoP proof is not for this access token"},
		{binding.ErrProofReplayed, "the DPoP proof was used before"},
		{binding.ErrProofMalformed, "the DPoP proof is malformed"},
	}
)

// pick returns the text of the first phrase whose sentinel err matches, or
// def.
func pick(err error, phrases []phrase, def string) string {
	for _, p := range phrases {
		if errors.Is(err, p.sentinel) {
			return p.text
		}
	}
	return def
}

// Challenge holds the parts of a WWW-Authenticate challenge (RFC 6750 §3)
// that are fixed when a route is set up. The zero value renders a bare
// "Bearer" challenge.
type Challenge struct {
	// Realm is the protection space (RFC 9110 §11.5); "" omits the
	// attribute.
	Realm string

	// ResourceMetadata is the URL of the resource's Protected Resource
	// Metadata (RFC 9728 §5.1); "" omits the attribute.
	ResourceMetadata string
}

// Validate reports a realm that is not printable ASCII and a resource
// metadata URL that is not an absolute https URL (http only on a loopback
// host). Call it once, at setup.
func (c Challenge) Validate() error {
	for i := 0; i < len(c.Realm); i++ {
		if b := c.Realm[i]; b < 0x20 || b > 0x7e {
			return fmt.Errorf("bearer: realm has byte %#x; use printable ASCII", b)
		}
	}
	if c.ResourceMetadata == "" {
		return nil
	}
	return checkURL(c.ResourceMetadata)
}

// checkURL accepts what netpolicy.CheckURL accepts (https, or http on a
// loopback host; no user info, no fragment) and nothing that a
// quoted-string would need to escape.
func checkURL(raw string) error {
	if err := netpolicy.CheckURL("resource metadata URL", raw, false); err != nil {
		return fmt.Errorf("bearer: %w", err)
	}
	for i := 0; i < len(raw); i++ {
		if b := raw[i]; b <= 0x20 || b > 0x7e || b == '"' || b == '\\' {
			return fmt.Errorf("bearer: resource metadata URL %s has a byte that needs escaping", netpolicy.Quote(raw))
		}
	}
	return nil
}

// Render returns the WWW-Authenticate value for a refusal of kind k, or ""
// for Unavailable, which carries no challenge (a 503 says nothing about the
// credentials). description is the error_description ([Describe]); scope is
// the space-separated scope attribute and is used only for
// InsufficientScope, where RFC 6750 §3 names it "the scope necessary to
// access the protected resource". For Missing the challenge carries no
// error information (RFC 6750 §3.1).
func (c Challenge) Render(k Kind, description, scope string) string {
	return c.RenderDecision(&Decision{Kind: k, Description: description, Scope: scope})
}

// RenderDecision returns the Bearer WWW-Authenticate value for d, as
// [Challenge.Render] does, with the acr_values and max_age attributes of an
// InsufficientUserAuthentication refusal (RFC 9470 §3). The DPoP refusals
// have challenges of their own ([Challenge.Challenges]).
func (c Challenge) RenderDecision(d *Decision) string {
	if d.Kind == Unavailable || d.Kind < Missing || d.Kind > InsufficientUserAuthentication {
		return ""
	}
	return c.write("Bearer", d, "")
}

// write renders one challenge of scheme for d; a Missing d writes no error
// information, and algs, when set, is the DPoP algs attribute.
func (c Challenge) write(scheme string, d *Decision, algs string) string {
	var b strings.Builder
	b.WriteString(scheme)
	sep := " "
	param := func(name, value string) {
		b.WriteString(sep)
		b.WriteString(name)
		b.WriteString("=")
		writeQuoted(&b, value)
		sep = ", "
	}
	if c.Realm != "" {
		param("realm", c.Realm)
	}
	if k := d.Kind; k != Missing {
		param("error", k.String())
		if d.Description != "" {
			param("error_description", d.Description)
		}
		if k == InsufficientScope && d.Scope != "" {
			param("scope", d.Scope)
		}
		if k == InsufficientUserAuthentication && d.ACRValues != "" {
			param("acr_values", d.ACRValues)
		}
		if k == InsufficientUserAuthentication && d.MaxAge != "" {
			param("max_age", d.MaxAge)
		}
	}
	if algs != "" {
		param("algs", algs)
	}
	if c.ResourceMetadata != "" {
		param("resource_metadata", c.ResourceMetadata)
	}
	return b.String()
}

// writeQuoted writes s as a quoted-string (RFC 9110 §5.6.4): a backslash
// escapes '"' and '\', and control characters, which no quoted-string may
// hold, are dropped so that a header can never be split or corrupted.
func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 && c != '\t', c == 0x7f:
			// dropped
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// ScopeString renders the scopes a requirement names as the value of a
// scope attribute (RFC 6750 §3). Requirements are validated first, so every
// scope is a scope-token without '"' or '\'.
func ScopeString(r scopes.Requirement) string {
	return strings.Join(r.Scopes(), " ")
}
