package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokengate/tokengate/verifier"
)

// The checks of verifier.JWT.Verify, in the order it runs them.
const (
	checkShape = iota
	checkAlg
	checkHeader
	checkKey
	checkSignature
	checkClaimsFormat
	checkTokenType
	checkIssuer
	checkAudience
	checkExpiry
	checkNotBefore
	checkBinding
	numChecks
)

var checkNames = [numChecks]string{
	checkShape:        "size and shape",
	checkAlg:          "alg allowed",
	checkHeader:       "typ and crit",
	checkKey:          "key for kid",
	checkSignature:    "signature",
	checkClaimsFormat: "claims format",
	checkTokenType:    "access token, not ID/refresh/logout",
	checkIssuer:       "iss",
	checkAudience:     "aud",
	checkExpiry:       "exp",
	checkNotBefore:    "nbf and iat",
	checkBinding:      "no cnf (bearer)",
}

// checkResult is one line of the table.
type checkResult struct {
	name, result, values string
}

// failedCheck says which check err, from Verify, is the failure of: the
// sentinel decides, and where two checks share one (a malformed header or
// malformed claims; a typ or claims that mark another kind of token), the
// decoded token tells them apart. -1 for no error.
func failedCheck(d decoded, err error) int {
	switch {
	case err == nil:
		return -1
	case errors.Is(err, verifier.ErrUnavailable):
		return checkKey
	case errors.Is(err, verifier.ErrMalformedToken):
		if d.segments != 3 || d.header == nil || d.sigBytes == 0 || str(d.header, "alg") == "" {
			return checkShape
		}
		return checkClaimsFormat
	case errors.Is(err, verifier.ErrAlgorithmNotAllowed):
		return checkAlg
	case errors.Is(err, verifier.ErrBadSignature):
		return checkSignature
	case errors.Is(err, verifier.ErrNotAccessToken):
		if typ := strings.ToLower(str(d.header, "typ")); typ != "" && typ != "jwt" && typ != "at+jwt" && typ != "application/at+jwt" {
			return checkHeader
		}
		return checkTokenType
	case errors.Is(err, verifier.ErrWrongIssuer):
		return checkIssuer
	case errors.Is(err, verifier.ErrWrongAudience):
		return checkAudience
	case errors.Is(err, verifier.ErrTokenExpired), errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return checkExpiry
	case errors.Is(err, verifier.ErrNotYetValid):
		return checkNotBefore
	case errors.Is(err, verifier.ErrSenderConstrained):
		return checkBinding
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return checkKey
	}
	return checkHeader // "crit", a kid that is not a string
}

// walk builds the table: the checks before the failed one passed, the
// failed one failed with the verifier's error, the rest were not reached.
func walk(d decoded, err error, o options, kids []string) []checkResult {
	failed := failedCheck(d, err)
	out := make([]checkResult, numChecks)
	for i := range out {
		out[i] = checkResult{name: checkNames[i], values: values(i, d, o, kids)}
		switch {
		case failed < 0 || i < failed:
			out[i].result = "ok"
		case i == failed:
			out[i].result = "FAIL"
		default:
			out[i].result = "not checked"
		}
	}
	return out
}

// values shows what check i compares, from the decoded token.
func values(i int, d decoded, o options, kids []string) string {
	switch i {
	case checkShape:
		return fmt.Sprintf("%d bytes, %d segments", d.size, d.segments)
	case checkAlg:
		return "alg " + show(d.header, "alg") + ", allowed " + strings.Join(verifier.DefaultAlgorithms(), " ")
	case checkHeader:
		return "typ " + show(d.header, "typ") + ", crit " + show(d.header, "crit")
	case checkKey:
		return "kid " + show(d.header, "kid") + ", key set holds " + quoteAll(kids)
	case checkSignature:
		return fmt.Sprintf("%d bytes (not shown)", d.sigBytes)
	case checkTokenType:
		var marks []string
		for _, name := range []string{"nonce", "at_hash", "c_hash", "auth_time", "events", "token_use"} {
			if _, ok := d.claims[name]; ok {
				marks = append(marks, name)
			}
		}
		return "ID/logout token claims present: " + orNone(strings.Join(marks, " "))
	case checkIssuer:
		return "iss " + show(d.claims, "iss") + ", want " + strconv.Quote(o.issuer)
	case checkAudience:
		return "aud " + show(d.claims, "aud") + ", want " + strconv.Quote(o.audience)
	case checkExpiry:
		return "exp " + stamp(d.claims, "exp") + ", now " + time.Now().UTC().Format(time.RFC3339)
	case checkNotBefore:
		return "nbf " + stamp(d.claims, "nbf") + ", iat " + stamp(d.claims, "iat")
	case checkBinding:
		return "cnf " + show(d.claims, "cnf")
	}
	return ""
}

func str(m map[string]any, name string) string {
	s, _ := m[name].(string)
	return s
}

// show renders a member as JSON, truncated; "(none)" when absent.
func show(m map[string]any, name string) string {
	v, ok := m[name]
	if !ok {
		return "(none)"
	}
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		b = append(b[:77], "..."...)
	}
	return string(b)
}

// stamp renders a NumericDate member as a time.
func stamp(m map[string]any, name string) string {
	f, ok := m[name].(float64)
	if !ok {
		return show(m, name)
	}
	return time.Unix(int64(f), 0).UTC().Format(time.RFC3339)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func quoteAll(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, " ") + "]"
}

func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxInput+1))
}

// printer writes the report.
type printer struct{ w io.Writer }

func (p *printer) section(title string) { fmt.Fprintf(p.w, "\n== %s\n", title) }

func (p *printer) line(name, value string) { fmt.Fprintf(p.w, "%-22s %s\n", name+":", value) }

// token prints the header and the claims, never the signature.
func (p *printer) token(d decoded) {
	p.section("token (header and claims; the signature is not shown)")
	for _, part := range []struct {
		name string
		m    map[string]any
	}{{"header", d.header}, {"claims", d.claims}} {
		if part.m == nil {
			p.line(part.name, "(does not decode as a JSON object)")
			continue
		}
		b, _ := json.MarshalIndent(part.m, "  ", "  ")
		fmt.Fprintf(p.w, "%s:\n  %s\n", part.name, b)
	}
}

// checks prints the table.
func (p *printer) checks(rs []checkResult) {
	p.section("checks, in the order the verifier runs them")
	for i, r := range rs {
		fmt.Fprintf(p.w, "%2d. %-36s %-11s %s\n", i+1, r.name, r.result, r.values)
	}
}
