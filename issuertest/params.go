package issuertest

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// dropEmpty removes the parameters sent without a value, which RFC 6749
// §3.1 and §3.2 say "MUST be treated as if they were omitted from the
// request": client_id= beside HTTP Basic, client_secret= of a public
// client, scope= on a refresh, resource= and the like.
func dropEmpty(v url.Values) {
	for k, vals := range v {
		kept := vals[:0]
		for _, x := range vals {
			if x != "" {
				kept = append(kept, x)
			}
		}
		if len(kept) == 0 {
			delete(v, k)
		} else {
			v[k] = kept
		}
	}
}

// maxDescription bounds an error_description, which may quote a value
// from the request.
const maxDescription = 200

// safeDescription confines an error_description to the characters RFC
// 6749 §4.1.2.1 and §5.2 allow (%x20-21 / %x23-5B / %x5D-7E): each other
// character, such as a quote, a backslash, a control character or a
// non-ASCII letter echoed from the request, becomes '?'. It also bounds the
// length.
func safeDescription(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= maxDescription {
			b.WriteString("...")
			break
		}
		if r >= 0x20 && r <= 0x7e && r != '"' && r != '\\' && r != utf8.RuneError {
			b.WriteRune(r)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// quote80 quotes a value for an error message: truncated to 80 bytes,
// control characters escaped.
func quote80(v string) string {
	if len(v) > 80 {
		v = v[:80]
	}
	return strconv.Quote(v)
}

// quoted writes a value from the request into a description, in single
// quotes (a double quote is not allowed there) and truncated.
func quoted(v string) string {
	const max = 60
	if len(v) > max {
		v = v[:max] + "..."
	}
	return "'" + v + "'"
}
