package introspection

import (
	"strconv"
	"strings"
	"time"

	"github.com/tokengate/tokengate/internal/netpolicy"
)

// quote renders a value for an error message (netpolicy.Quote).
var quote = netpolicy.Quote

// quoter quotes values taken from a response about token, which a faulty
// or hostile server might echo: a value holding the token, or a piece of
// it, is replaced, so that no message carries the token.
type quoter struct{ token string }

// minEcho is the shortest value checked for being a piece of the token;
// shorter values ("Bearer", "true") are ordinary words.
const minEcho = 8

func (q quoter) q(s string) string {
	if q.token != "" && (strings.Contains(s, q.token) || len(s) >= minEcho && strings.Contains(q.token, s)) {
		return "(the token itself)"
	}
	return quote(s)
}

// list renders a string array, such as "aud", quoting at most a few
// entries.
func (q quoter) list(l []string) string {
	const most = 4
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range l {
		if i == most {
			b.WriteString(", ... " + strconv.Itoa(len(l)-most) + " more")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(q.q(s))
	}
	b.WriteByte(']')
	return b.String()
}

// instant renders a time for an error message.
func instant(t time.Time) string { return t.UTC().Format(time.RFC3339) }
