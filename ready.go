package tokengate

import (
	"context"
	"errors"
)

// Readier is implemented by a verifier that can tell whether it can check
// tokens now, as verifier.JWT and introspection.Introspector do: Ready
// returns nil once the keys or the endpoint are known good, and otherwise
// an error saying what is missing. It is what a readiness probe asks (see
// middleware.ReadyHandler).
type Readier interface {
	Ready(ctx context.Context) error
}

// ReadyAll returns a Readier that is ready when every one of rs is, for a
// service with several verifiers (several issuers, or a JWT verifier and
// an introspector). Its error joins the errors of those that are not
// ready, each naming its verifier. A nil entry is ignored.
func ReadyAll(rs ...Readier) Readier {
	return readyAll(append([]Readier(nil), rs...))
}

type readyAll []Readier

func (all readyAll) Ready(ctx context.Context) error {
	var errs []error
	for _, r := range all {
		if r == nil {
			continue
		}
		if err := r.Ready(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
