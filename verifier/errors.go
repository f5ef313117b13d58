package verifier

// The sentinel errors below are the contract between verifiers and the
// middleware. Every rejection of a token wraps [ErrInvalidToken]; the finer
// sentinels wrap it too, so a caller can test for the class or the reason:
//
//	errors.Is(err, verifier.ErrInvalidToken)  // answer 401
//	errors.Is(err, verifier.ErrTokenExpired)  // and the client may refresh
//
// Detail is added with %w, so a cause from golang-jwt (jwt.ErrTokenExpired,
// jwt.ErrTokenSignatureInvalid, ...) still matches with errors.Is.
var (
	// ErrInvalidToken is wrapped by every rejection of a token: malformed,
	// badly signed, expired, for another issuer or audience, of an algorithm
	// not allowed, inactive, or not an access token. HTTP 401, gRPC
	// Unauthenticated.
	ErrInvalidToken error = &sentinel{msg: "verifier: invalid token"}

	// ErrUnavailable reports that the token could not be checked now: the
	// issuer's discovery document, key set or introspection endpoint is
	// unreachable or faulty and nothing usable is cached. It says nothing
	// about the token. HTTP 503, gRPC Unavailable.
	ErrUnavailable error = &sentinel{msg: "verifier: token cannot be checked now"}

	// ErrNotAccessToken reports a token that is not an access token for an
	// API: an OpenID Connect ID token, a refresh token, a logout token, a
	// DPoP proof. It wraps ErrInvalidToken.
	ErrNotAccessToken error = &sentinel{msg: "verifier: not an access token", parent: ErrInvalidToken}

	// ErrTokenExpired reports a token past its "exp" (RFC 7519 §4.1.4), or
	// one an introspection endpoint reports expired. It wraps
	// ErrInvalidToken; a client may answer it by refreshing.
	ErrTokenExpired error = &sentinel{msg: "verifier: token expired", parent: ErrInvalidToken}

	// ErrNoToken reports a request that carries no bearer token at all.
	// RFC 6750 §3.1 asks for a bare challenge with no error code. HTTP 401,
	// gRPC Unauthenticated.
	ErrNoToken error = &sentinel{msg: "verifier: no bearer token in request"}

	// ErrInvalidRequest reports a malformed request: two credentials, a
	// malformed Authorization header (RFC 6750 §3.1 invalid_request). HTTP
	// 400, gRPC InvalidArgument.
	ErrInvalidRequest error = &sentinel{msg: "verifier: malformed bearer token request"}
)

// sentinel is an error value that may belong to a broader class.
type sentinel struct {
	msg    string
	parent error
}

func (e *sentinel) Error() string { return e.msg }
func (e *sentinel) Unwrap() error { return e.parent }
