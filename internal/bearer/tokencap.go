package bearer

import "github.com/tokengate/tokengate"

// TokenCap is implemented by a verifier that caps the length of the tokens
// it accepts, as verifier.JWT and introspection.Introspector do
// (Config.MaxTokenBytes). A transport in front of such a verifier applies
// the same cap before the verifier sees the token, so that the cap has one
// knob: raising the verifier's admits longer tokens end to end.
type TokenCap interface {
	MaxTokenBytes() int
}

// MaxTokenBytes returns the token length cap of a transport in front of v.
// local is the transport's own setting (Guard.MaxTokenBytes,
// Policy.MaxTokenBytes), zero when unset:
//   - v implements [TokenCap] with a positive cap: that cap, lowered to
//     local when local is positive and smaller (a local value can only
//     tighten what the verifier accepts);
//   - otherwise local when positive, else [DefaultMaxTokenBytes].
func MaxTokenBytes(v tokengate.TokenVerifier, local int) int {
	if c, ok := v.(TokenCap); ok {
		if limit := c.MaxTokenBytes(); limit > 0 {
			if local > 0 {
				return min(limit, local)
			}
			return limit
		}
	}
	if local > 0 {
		return local
	}
	return DefaultMaxTokenBytes
}
