package scopes

import "strings"

// InsufficientScopeError reports a token that is valid but does not grant
// what the route requires. Middleware answers it with 403 and an
// insufficient_scope challenge (RFC 6750 §3.1) whose "scope" attribute is
// Required.
type InsufficientScopeError struct {
	// Required lists every scope the route's requirement names.
	Required []string
	// Missing lists the scopes that were needed and not granted.
	Missing []string
}

// Error names the missing scopes.
func (e *InsufficientScopeError) Error() string {
	return "scopes: insufficient scope: missing " + strings.Join(e.Missing, " ")
}
