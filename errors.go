package tokengate

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

	// ErrWrongIssuer reports a token whose "iss" is not the trusted issuer
	// (RFC 8725 §3.8, RFC 9068 §4). It wraps ErrInvalidToken.
	ErrWrongIssuer error = &sentinel{msg: "verifier: wrong issuer", parent: ErrInvalidToken}

	// ErrWrongAudience reports a token whose "aud" does not name this API
	// (RFC 8725 §3.9, RFC 9068 §4), or an introspection response whose
	// audience does not. It wraps ErrInvalidToken.
	ErrWrongAudience error = &sentinel{msg: "verifier: wrong audience", parent: ErrInvalidToken}

	// ErrBadSignature reports a signature that does not verify with the key
	// the token names. It wraps ErrInvalidToken.
	ErrBadSignature error = &sentinel{msg: "verifier: bad signature", parent: ErrInvalidToken}

	// ErrAlgorithmNotAllowed reports a header "alg" outside the allow-list
	// (RFC 8725 §3.1). It wraps ErrInvalidToken.
	ErrAlgorithmNotAllowed error = &sentinel{msg: "verifier: algorithm not allowed", parent: ErrInvalidToken}

	// ErrNotYetValid reports a token whose "nbf" or "iat" lies in the
	// future beyond the leeway. It wraps ErrInvalidToken.
	ErrNotYetValid error = &sentinel{msg: "verifier: token not valid yet", parent: ErrInvalidToken}

	// ErrMalformedToken reports a token that is not a well-formed JWT:
	// too long, not three canonical base64url segments, a header or payload
	// that is not a JSON object, a claim of the wrong type. It wraps
	// ErrInvalidToken.
	ErrMalformedToken error = &sentinel{msg: "verifier: malformed token", parent: ErrInvalidToken}

	// ErrSenderConstrained reports a token bound to a key or certificate
	// ("cnf", RFC 9449 §6, RFC 8705 §3) presented where its binding cannot
	// be checked, such as with the Bearer scheme (RFC 9449 §7.2). It wraps
	// ErrInvalidToken.
	ErrSenderConstrained error = &sentinel{msg: "verifier: token is sender-constrained", parent: ErrInvalidToken}

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
