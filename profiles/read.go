package profiles

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/tokengate/tokengate/internal/claimset"
	"github.com/tokengate/tokengate/internal/netpolicy"
	"github.com/tokengate/tokengate/verifier"
)

// A Profile is a provider preset: the verifier.Config that provider's
// access tokens need. Each profile type has Config and New.
type Profile interface {
	Config() (verifier.Config, error)
}

// New builds the JWT verifier of p: verifier.New(ctx, p.Config()).
func New(ctx context.Context, p Profile) (*verifier.JWT, error) {
	cfg, err := p.Config()
	if err != nil {
		return nil, err
	}
	return verifier.New(ctx, cfg)
}

// claimString reads the string claim name of c: "" when absent or null.
func claimString(c *verifier.Claims, name string) (string, error) {
	raw, _, err := claimset.Lookup(c.Raw, name)
	if err != nil {
		return "", err
	}
	return claimset.String(name, raw)
}

// check is one profile check on verified claims.
type check func(c *verifier.Claims) error

// all runs checks in order; the first refusal wins.
func all(checks ...check) func(*verifier.Claims) error {
	return func(c *verifier.Claims) error {
		for _, ch := range checks {
			if err := ch(c); err != nil {
				return err
			}
		}
		return nil
	}
}

// equal requires the string claim name to be want.
func equal(profile, name, want string) check {
	return func(c *verifier.Claims) error {
		got, err := claimString(c, name)
		switch {
		case err != nil:
			return fmt.Errorf("profiles: %s: token %q is not a string", profile, name)
		case got != want:
			return fmt.Errorf("profiles: %s: token %q is %s, want %s", profile, name, quoteOrAbsent(got), netpolicy.Quote(want))
		}
		return nil
	}
}

// clientFrom requires the string claim name, the provider's client id
// claim, and makes it Claims.ClientID.
func clientFrom(profile, name string) check {
	return func(c *verifier.Claims) error {
		id, err := claimString(c, name)
		switch {
		case err != nil:
			return fmt.Errorf("profiles: %s: token %q is not a string", profile, name)
		case id == "":
			return fmt.Errorf("profiles: %s: token has no %q, where this provider names the client", profile, name)
		}
		c.ClientID = id
		return nil
	}
}

// clientIn requires Claims.ClientID to be one of allowed.
func clientIn(profile string, allowed []string) check {
	return func(c *verifier.Claims) error {
		if !slices.Contains(allowed, c.ClientID) {
			return fmt.Errorf("profiles: %s: token \"client_id\" is %s, want one of %s", profile, quoteOrAbsent(c.ClientID), strings.Join(quoteAll(allowed), ", "))
		}
		return nil
	}
}

// hasClient requires a client id (client_id, else azp: Claims.ClientID).
func hasClient(profile string) check {
	return func(c *verifier.Claims) error {
		if c.ClientID == "" {
			return fmt.Errorf("profiles: %s: token has neither \"client_id\" nor \"azp\"", profile)
		}
		return nil
	}
}

func quoteOrAbsent(s string) string {
	if s == "" {
		return "absent"
	}
	return netpolicy.Quote(s)
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = netpolicy.Quote(s)
	}
	return out
}

// guid matches a tenant or client GUID as Entra writes them.
var guid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// requireField reports an empty required field of profile.
func requireField(profile, field, value string) error {
	if value == "" {
		return fmt.Errorf("profiles: %s.%s is required", profile, field)
	}
	return nil
}

// hostName checks a provider domain: a host name (and port), no scheme,
// no path.
func hostName(profile, field, value string) error {
	if err := requireField(profile, field, value); err != nil {
		return err
	}
	u, err := url.Parse("https://" + value)
	if err != nil || u.Host != value || strings.ContainsAny(value, "/?#@") {
		return fmt.Errorf("profiles: %s.%s %q must be a host name, without scheme or path", profile, field, value)
	}
	return nil
}
