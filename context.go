package tokengate

import "context"

// claimsKey is the context key for *Claims. Being unexported, it cannot
// collide with keys of other packages; [NewContext] and [FromContext] are
// the only way in.
type claimsKey struct{}

func (claimsKey) String() string { return "tokengate claims" }

// NewContext returns a copy of ctx that carries c.
func NewContext(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// FromContext returns the claims that middleware stored in ctx, and whether
// there were any.
func FromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok && c != nil
}
