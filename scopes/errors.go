package scopes

import "strings"

// InsufficientScopeError reports a token that is valid but does not grant
// what the route requires. Middleware answers it with 403 and an
// insufficient_scope challenge (RFC 6750 §3.1) whose "scope" attribute is
// Required, unless only conditions were unmet; a requirement of package
// stepup that alone is unmet is answered instead with 401
// insufficient_user_authentication (RFC 9470 §3).
type InsufficientScopeError struct {
	// Required lists every scope the route's requirement names.
	Required []string
	// Missing lists the scopes that were needed and not granted.
	Missing []string
	// Unmet names the conditions ([Where]) that were needed and not met,
	// each by its String: from the route's configuration, never the token.
	Unmet []string
	// Err joins the errors of the unmet conditions, for logs; nil when
	// only scopes were missing.
	Err error
}

// Error names the missing scopes and the unmet conditions.
func (e *InsufficientScopeError) Error() string {
	if len(e.Unmet) == 0 {
		return "scopes: insufficient scope: missing " + strings.Join(e.Missing, " ")
	}
	var b strings.Builder
	b.WriteString("scopes: requirement not met:")
	if len(e.Missing) > 0 {
		b.WriteString(" missing scope " + strings.Join(e.Missing, " ") + ";")
	}
	b.WriteString(" unmet " + strings.Join(e.Unmet, ", "))
	if e.Err != nil {
		b.WriteString(": " + strings.ReplaceAll(e.Err.Error(), "\n", "; "))
	}
	return b.String()
}

// Unwrap returns Err, so that errors.Is and errors.As reach the errors of
// the unmet conditions.
func (e *InsufficientScopeError) Unwrap() error { return e.Err }
