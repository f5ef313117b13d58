package verifier

import (
	"errors"
	"fmt"
	"slices"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate/internal/claimset"
)

// The audience rules, and the hooks by which a provider profile adapts the
// checks to what a provider puts in its tokens (Config.Audiences,
// NoAudience, IssuerAliases, Check, TokenKind). Each hook only adds a check
// or replaces one with a stricter or better informed one; NoAudience, the
// one waiver, needs a Check that tells the API's tokens apart instead.

// checkAudiences validates Audience, Audiences and NoAudience, and leaves
// in c.Audiences every accepted audience, Audience first, each once.
func (c *Config) checkAudiences() error {
	for i, alias := range c.IssuerAliases {
		if alias == "" {
			return fmt.Errorf("verifier: Config.IssuerAliases[%d] is empty", i)
		}
	}
	c.IssuerAliases = slices.Clone(c.IssuerAliases)
	if c.NoAudience {
		switch {
		case c.Audience != "" || len(c.Audiences) > 0:
			return errors.New("verifier: Config.NoAudience waives the audience check; leave Config.Audience and Config.Audiences empty")
		case c.Check == nil:
			return errors.New("verifier: Config.NoAudience needs Config.Check, to tell this API's tokens apart another way (a client allow-list)")
		}
		return nil
	}
	all := make([]string, 0, 1+len(c.Audiences))
	if c.Audience != "" {
		all = append(all, c.Audience)
	}
	for i, aud := range c.Audiences {
		if aud == "" {
			return fmt.Errorf("verifier: Config.Audiences[%d] is empty", i)
		}
		if !slices.Contains(all, aud) {
			all = append(all, aud)
		}
	}
	if len(all) == 0 {
		return errors.New("verifier: Config.Audience (or Config.Audiences) is required")
	}
	c.Audiences = all
	return nil
}

// audienceOK reports whether aud satisfies the audience rule: it names one
// of the accepted audiences or, under NoAudience, nothing at all.
func (v *JWT) audienceOK(aud []string) bool {
	if v.cfg.NoAudience {
		return len(aud) == 0
	}
	for _, want := range v.cfg.Audiences {
		if slices.Contains(aud, want) {
			return true
		}
	}
	return false
}

func (v *JWT) audienceError(aud []string) error {
	if v.cfg.NoAudience {
		return errorf(ErrWrongAudience, jwt.ErrTokenInvalidAudience, "token \"aud\" is %s, want none (Config.NoAudience)", quoteList(aud))
	}
	if len(v.cfg.Audiences) == 1 {
		return errorf(ErrWrongAudience, jwt.ErrTokenInvalidAudience, "token \"aud\" is %s, want %s", quoteList(aud), quote(v.cfg.Audiences[0]))
	}
	return errorf(ErrWrongAudience, jwt.ErrTokenInvalidAudience, "token \"aud\" is %s, want one of %s", quoteList(aud), quoteList(v.cfg.Audiences))
}

// checkKind refuses a token not typed "at+jwt" that is not an access
// token: by Config.TokenKind when set, else by the claim heuristics.
func (v *JWT) checkKind(s *claimset.Set) error {
	if v.cfg.TokenKind == nil {
		return checkClaimsType(s)
	}
	c := Claims(s.Registered)
	if err := v.cfg.TokenKind(&c); err != nil {
		return errorf(ErrNotAccessToken, err, "Config.TokenKind")
	}
	return nil
}

// finish runs Config.Check on claims that passed every built-in check.
func (v *JWT) finish(c *Claims) (*Claims, error) {
	if v.cfg.Check == nil {
		return c, nil
	}
	if err := v.cfg.Check(c); err != nil {
		if errors.Is(err, ErrInvalidToken) || errors.Is(err, ErrUnavailable) {
			return nil, err
		}
		return nil, errorf(ErrInvalidToken, err, "Config.Check")
	}
	return c, nil
}
