package receiver

import (
	"github.com/tokengate/tokengate/internal/claimset"
	"github.com/tokengate/tokengate/revocation"
)

// subjectPurge maps the subject of a CAEP event to a purge. The subject
// is the SET's "sub_id" (OpenID SSF 1.0) or, as in earlier CAEP drafts,
// the event's "subject" member: a Subject Identifier (RFC 9493) of format
//
//   - "iss_sub" of this issuer: the tokens of that "sub";
//   - "opaque": the tokens whose "sub" is its "id";
//   - "jwt_id" (SSF) of this issuer: the token whose "jti" is its "jti";
//   - "complex" (SSF): its "user" member as above, else its
//     "application" member in "opaque" format: the tokens of that client.
//
// Any other subject cannot be mapped to cached tokens and is refused, so
// that the transmitter learns that the event had no effect.
func (r *Receiver) subjectPurge(subID, event string) (revocation.Purge, *problem) {
	raw := subID
	if raw == "" {
		raw = member(event, "subject")
	}
	if raw == "" {
		return revocation.Purge{}, refuse(codeInvalidRequest, "subject", "neither \"sub_id\" nor an event \"subject\" (RFC 9493)")
	}
	return r.identifier(raw, true)
}

func (r *Receiver) identifier(raw string, complexAllowed bool) (revocation.Purge, *problem) {
	format := stringMember(raw, "format")
	purge := revocation.Purge{}
	switch format {
	case "iss_sub":
		purge = revocation.Purge{Kind: revocation.Subject, Value: stringMember(raw, "sub")}
	case "opaque":
		purge = revocation.Purge{Kind: revocation.Subject, Value: stringMember(raw, "id")}
	case "jwt_id":
		purge = revocation.Purge{Kind: revocation.TokenID, Value: stringMember(raw, "jti")}
	case "complex":
		if !complexAllowed {
			break
		}
		if user := member(raw, "user"); user != "" {
			return r.identifier(user, false)
		}
		if app := member(raw, "application"); stringMember(app, "format") == "opaque" {
			purge = revocation.Purge{Kind: revocation.Client, Value: stringMember(app, "id")}
		}
	}
	if (format == "iss_sub" || format == "jwt_id") && stringMember(raw, "iss") != r.cfg.Issuer {
		return revocation.Purge{}, refuse(codeInvalidIssuer, "subject iss", "subject \"iss\" %s is not Config.Issuer %s", quote(stringMember(raw, "iss")), quote(r.cfg.Issuer))
	}
	if err := purge.Check(); err != nil {
		return revocation.Purge{}, refuse(codeInvalidRequest, "subject format", "subject of format %s cannot be mapped to cached tokens (want iss_sub, opaque, jwt_id, or complex with user or application): %v", quote(format), err)
	}
	return purge, nil
}

// member returns the raw value of obj's member name when it is an
// object, else "".
func member(obj, name string) string {
	var found string
	claimset.Members([]byte(obj), func(n, value string) error {
		if n == name && len(value) > 0 && value[0] == '{' {
			found = value
		}
		return nil
	})
	return found
}

// stringMember returns obj's member name when it is a string, else "".
func stringMember(obj, name string) string {
	var found string
	claimset.Members([]byte(obj), func(n, value string) error {
		if n == name {
			found, _ = claimset.String(n, value)
		}
		return nil
	})
	return found
}
