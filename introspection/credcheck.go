package introspection

import (
	"context"
	"crypto/rand"
	"fmt"
)

// probePrefix starts the string New introspects to check the credentials,
// so that it is recognisable in the authorization server's logs.
const probePrefix = "tokengate-credential-check-"

// checkCredentials introspects a random string that no server issued: an
// endpoint that refuses our client authentication is a configuration
// error. Whatever else happens (an inactive answer, an outage, a fault)
// says nothing about the credentials, and New goes on; the call is not
// made through the bounds of Verify and does not count against them.
func (i *Introspector) checkCredentials(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, i.cfg.Timeout)
	defer cancel()
	v := i.ask(ctx, probePrefix+rand.Text())
	i.breaker.answeredIf(v)
	ce, ok := isCredentialsError(v.err)
	if !ok {
		return nil
	}
	return fmt.Errorf("introspection: New checked the credentials: the endpoint %s refused Config.ClientID %s with Config.AuthMethod %s (status %d, \"error\" %s, RFC 7662 §2.1): check ClientID, the secret or key, and AuthMethod",
		quote(i.endpointURL()), quote(ce.clientID), quote(ce.method), ce.status, ce.code)
}
