package issuertest

import (
	"crypto"
	"time"
)

// Key rotation comes in the two ways real servers do it, so that a
// verifier can be tested against both.
//
// [Server.RotateKey] signs with a new key at once: the first token it signs
// carries a kid the verifier has not seen, and the verifier must refetch
// the JWKS (OIDC Core §10.1.1: "The verifier knows to go back to the
// jwks_uri location to re-retrieve the keys when it sees an unfamiliar kid
// value"). ORY Hydra and node-oidc-provider behave this way: the new key
// signs as soon as it is made or configured. A client that refetches keys
// at most once a minute refuses the first tokens after such a rotation.
//
// [Server.PublishNextKey] publishes the next key first and signs with it
// only after the publish-ahead time of [WithKeyPublishAhead], so that every
// verifier that honours the JWKS Cache-Control has the key before it sees a
// token signed by it. Most hosted providers do this: Google, Microsoft
// Entra ID, Auth0 and Okta list the next key in their JWKS ahead of using
// it.
//
// Either way the key that stops signing stays published for the overlap
// of [WithKeyOverlap], so that the tokens it signed still verify.

// RotateKey makes new keys, one for each algorithm the server signs with
// (the access token algorithm of [WithSigningAlg], and RS256 and the
// registered id_token_signed_response_alg values for ID tokens), and
// returns the new access token kid. The new keys sign every token from now
// on and are published at the same moment (sign at once); the old keys stay
// in the JWKS for the overlap of [WithKeyOverlap], then leave it, so that
// tokens they signed verify until then. A key published ahead by
// [Server.PublishNextKey] still takes over at its time. Generating an RSA
// key takes tens of milliseconds.
func (s *Server) RotateKey() string {
	kid, _ := s.keys.add(0)
	return kid
}

// PublishNextKey makes new keys as [Server.RotateKey] does, but only
// publishes them now (publish then sign): the current keys go on signing
// until the publish-ahead time of [WithKeyPublishAhead] has passed on the
// server's clock, then the new keys sign and the old ones stay published
// for the overlap of [WithKeyOverlap]. It returns the next access token kid
// and the time it starts signing.
func (s *Server) PublishNextKey() (kid string, signsFrom time.Time) {
	return s.keys.add(s.cfg.keyAhead)
}

// RetireKey removes a rotated-out key, or one published ahead, from the
// JWKS now, before its overlap ends: tokens it signed stop verifying at a
// verifier that refetches the JWKS, and a key published ahead never signs.
// It panics if kid is unknown or is a current signing key.
func (s *Server) RetireKey(kid string) {
	if err := s.keys.retire(kid); err != nil {
		panic(err.Error())
	}
}

// SigningKeyID returns the kid of the key that signs new access tokens.
func (s *Server) SigningKeyID() string { return s.keys.signer().kid }

// KeyIDs returns the kids in the JWKS now, oldest first: the signing keys,
// the keys published ahead and the rotated-out keys still in their overlap.
func (s *Server) KeyIDs() []string {
	var kids []string
	for _, k := range s.keys.published() {
		kids = append(kids, k.kid)
	}
	return kids
}

// PublicKey returns the public key of a published kid (an *rsa.PublicKey,
// *ecdsa.PublicKey or ed25519.PublicKey), or nil.
func (s *Server) PublicKey(kid string) crypto.PublicKey {
	for _, k := range s.keys.published() {
		if k.kid == kid {
			return k.public()
		}
	}
	return nil
}
