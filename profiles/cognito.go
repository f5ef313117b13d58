package profiles

import (
	"fmt"
	"regexp"

	"github.com/tokengate/tokengate/claims"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// Cognito is Amazon Cognito user pool access tokens. Cognito's access
// tokens carry no "aud"; the client they were issued to is "client_id".
// It sets:
//
//   - issuer https://cognito-idp.{Region}.amazonaws.com/{UserPoolID},
//     with the pool's UPDATED issuer
//     https://issuer-cognito-idp.{Region}.amazonaws.com/{UserPoolID} as an
//     alias, and the pool's key set, RS256 only;
//   - RELAXATION: no audience check (verifier.Config.NoAudience), as the
//     tokens have none; in its place "client_id" must be one of ClientIDs,
//     the app clients whose tokens this API takes, and a token that does
//     carry an "aud" is refused;
//   - the token kind from "token_use", which must be "access": an ID token
//     ("id"), which has an "aud" and may pass other checks, is refused
//     whatever its other claims.
//
// Groups are in "cognito:groups" ([Cognito.Groups]); scopes in "scope".
type Cognito struct {
	Region     string   // such as "eu-west-1"; required
	UserPoolID string   // such as "eu-west-1_AbCdEf123"; required
	ClientIDs  []string // the app client IDs allowed; at least one
}

var cognitoPool = regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`)

// Config returns the verifier.Config of p.
func (p Cognito) Config() (verifier.Config, error) {
	switch {
	case !regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`).MatchString(p.Region):
		return verifier.Config{}, fmt.Errorf("profiles: Cognito.Region %q is not an AWS region such as eu-west-1", p.Region)
	case !cognitoPool.MatchString(p.UserPoolID):
		return verifier.Config{}, fmt.Errorf("profiles: Cognito.UserPoolID %q is not a pool ID such as eu-west-1_AbCdEf123", p.UserPoolID)
	case len(p.ClientIDs) == 0:
		return verifier.Config{}, fmt.Errorf("profiles: Cognito.ClientIDs is required: Cognito access tokens have no audience, so the client is what binds a token to this API")
	}
	iss := "https://cognito-idp." + p.Region + ".amazonaws.com/" + p.UserPoolID
	return verifier.Config{
		Issuer:        iss,
		IssuerAliases: []string{"https://issuer-cognito-idp." + p.Region + ".amazonaws.com/" + p.UserPoolID},
		NoAudience:    true,
		JWKSURL:       iss + "/.well-known/jwks.json",
		Algorithms:    []string{"RS256"},
		TokenKind:     equal("cognito", "token_use", "access"),
		Check:         all(equal("cognito", "token_use", "access"), clientIn("cognito", append([]string(nil), p.ClientIDs...))),
	}, nil
}

// Groups requires every one of groups in the token's "cognito:groups".
func (Cognito) Groups(groups ...string) scopes.Requirement {
	return claims.Contains("cognito:groups", groups...)
}
