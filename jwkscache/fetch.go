package jwkscache

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tokengate/tokengate/internal/netpolicy"
)

// fetch downloads and parses the key set once. ctx carries the fetch's own
// deadline; it is never a request's context. It returns the set and how long
// to use it before the next periodic refresh.
func (c *Cache) fetch(ctx context.Context) (*keySet, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.URL, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("jwkscache: building key set request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("jwkscache: fetching key set: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("jwkscache: key set endpoint answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	body, err := readBounded(resp, c.cfg.MaxBodyBytes)
	if err != nil {
		return nil, 0, err
	}
	set, err := parseKeySet(body, c.cfg.MaxKeys)
	if err != nil {
		return nil, 0, err
	}
	return set, c.refreshInterval(resp.Header), nil
}

// readBounded reads the whole body, or fails if it is longer than limit:
// a cut-off key set is an error, never silently a shorter one.
func readBounded(resp *http.Response, limit int64) ([]byte, error) {
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("jwkscache: key set of %d bytes exceeds MaxBodyBytes (%d)", resp.ContentLength, limit)
	}
	body, err := netpolicy.ReadBody(resp.Body, limit)
	if err != nil {
		return nil, fmt.Errorf("jwkscache: reading key set (MaxBodyBytes %d): %w", limit, err)
	}
	return body, nil
}

// refreshInterval is how long a fetched set is fresh (RFC 9111 §4.2.1):
// MinRefreshInterval when Cache-Control says no-cache or no-store (ORY
// Hydra sends both), else the remaining lifetime from max-age minus Age
// (§5.2.2.1, §4.2.3), else from Expires minus Date (§5.3; an Expires that
// does not parse means already expired), clamped to [MinRefreshInterval,
// MaxRefreshInterval]; MaxRefreshInterval when the response says nothing.
func (c *Cache) refreshInterval(h http.Header) time.Duration {
	ttl := c.cfg.MaxRefreshInterval
	cc := h.Values("Cache-Control")
	switch maxAge, hasMaxAge := directiveSeconds(cc, "max-age"); {
	case hasDirective(cc, "no-cache"), hasDirective(cc, "no-store"):
		ttl = 0
	case hasMaxAge:
		ttl = maxAge
		if age, ok := deltaSeconds(h.Get("Age")); ok {
			ttl -= age
		}
	case h.Get("Expires") != "":
		ttl = 0
		if exp, err := http.ParseTime(h.Get("Expires")); err == nil {
			date, err := http.ParseTime(h.Get("Date"))
			if err != nil {
				date = c.cfg.Now()
			}
			ttl = exp.Sub(date)
		}
	}
	return min(max(ttl, c.cfg.MinRefreshInterval), c.cfg.MaxRefreshInterval)
}

// hasDirective reports whether the Cache-Control field lines carry the
// directive name, with or without an argument (no-cache may have one,
// RFC 9111 §5.2.2.4).
func hasDirective(lines []string, name string) bool {
	for _, line := range lines {
		for d := range strings.SplitSeq(line, ",") {
			k, _, _ := strings.Cut(strings.TrimSpace(d), "=")
			if strings.EqualFold(strings.TrimSpace(k), name) {
				return true
			}
		}
	}
	return false
}

// directiveSeconds finds a delta-seconds directive (RFC 9111 §5.2) in the
// Cache-Control field lines. A malformed value counts as absent.
func directiveSeconds(lines []string, name string) (time.Duration, bool) {
	for _, line := range lines {
		for d := range strings.SplitSeq(line, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(d), "=")
			if strings.EqualFold(strings.TrimSpace(k), name) {
				return deltaSeconds(strings.Trim(strings.TrimSpace(v), `"`))
			}
		}
	}
	return 0, false
}

// deltaSeconds parses RFC 9111 §1.2.2 delta-seconds; a value too large to
// represent counts as 2^31 seconds, as that section asks.
func deltaSeconds(v string) (time.Duration, bool) {
	if v == "" || strings.TrimLeft(v, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		n = 1 << 31
	}
	return time.Duration(n) * time.Second, true
}
