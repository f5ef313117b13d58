package binding

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/tokengate/tokengate"
)

// The reasons a DPoP proof is refused (RFC 9449 §4.3), one per check, so
// that the transport's fixed vocabulary can name the check that failed.
// Each wraps tokengate.ErrInvalidDPoPProof. Package dpop returns them;
// they live here, beside the evidence, so that internal/bearer can name
// them without linking package dpop's JWT library.
var (
	ErrProofMissing   = proofError("no DPoP proof with the DPoP scheme")
	ErrProofMultiple  = proofError("more than one DPoP proof")
	ErrProofTooLarge  = proofError("DPoP proof exceeds the size cap")
	ErrProofMalformed = proofError("malformed DPoP proof")
	ErrProofAlgorithm = proofError("DPoP proof algorithm not allowed")
	ErrProofKey       = proofError("DPoP proof key not acceptable")
	ErrProofSignature = proofError("DPoP proof signature does not verify")
	ErrProofMethod    = proofError("DPoP proof is for another HTTP method")
	ErrProofURL       = proofError("DPoP proof is for another URL")
	ErrProofTime      = proofError("DPoP proof issued outside the accepted window")
	ErrProofTokenHash = proofError("DPoP proof is for another access token")
	ErrProofReplayed  = proofError("DPoP proof was used before")
)

func proofError(msg string) error {
	return fmt.Errorf("dpop: %s: %w", msg, tokengate.ErrInvalidDPoPProof)
}

// CertificateThumbprint is the "x5t#S256" of a certificate (RFC 8705
// §3.1): the base64url SHA-256 of its DER encoding.
func CertificateThumbprint(der []byte) string {
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
