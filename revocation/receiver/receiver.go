// Package receiver is the endpoint at which an authorization server tells
// an API that tokens were revoked, so that every replica stops accepting
// them at once rather than when their cached results expire. It accepts:
//
//   - OpenID Connect Back-Channel Logout 1.0 logout tokens
//     (https://openid.net/specs/openid-connect-backchannel-1_0.html), posted
//     as the form parameter logout_token (§2.5), which purge the subject's
//     tokens;
//   - Security Event Tokens (RFC 8417) pushed as in RFC 8935, carrying a
//     CAEP session-revoked or token-claims-change event
//     (https://openid.net/specs/openid-caep-1_0.html), which purge the
//     tokens of the event's subject, token or client.
//
// Each token is verified before anything is purged: its JOSE header
// "typ" (logout+jwt, secevent+jwt), an allowed asymmetric algorithm, its
// signature with the issuer's keys (a verifier.KeySource, such as a
// jwkscache.Cache of the issuer's JWKS), "iss", "aud" (the client ID this
// receiver is registered as), "iat" within Config.MaxAge, "exp" when
// present, the "events" member, and a "jti" not seen before at any
// replica (a tokengate.ReplayStore; redisstore's is shared). The purges
// go to a revocation.Publisher: redisstore.Store takes them to every
// replica, revocation.Local to this process only.
//
// A token the receiver could not act on because the replay store or the
// publisher failed gets 503, so that the issuer may send it again; such a
// retry is acted on, not refused as a replay.
//
// Mount it on one replica, or on all behind the same URL, and register
// its URL with the authorization server, as backchannel_logout_uri and as
// the push delivery endpoint:
//
//	rcv, err := receiver.New(receiver.Config{
//		Issuer: issuer, Audience: "orders-api",
//		Keys: keys, Replay: store, Publisher: store,
//	})
//	...
//	mux.Handle("POST /revocations", rcv)
package receiver

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/internal/netpolicy"
	"github.com/tokengate/tokengate/revocation"
	"github.com/tokengate/tokengate/verifier"
)

// Config configures a [Receiver]. It is passed by value and checked once
// by [New]; every field documents its zero-value default.
type Config struct {
	// Issuer is the authorization server's issuer identifier; "iss" must
	// equal it. Required.
	Issuer string

	// Audience is the client ID this receiver is registered as at the
	// issuer; "aud" must contain it. Required.
	Audience string

	// Keys verifies the signatures: the issuer's keys. Required.
	Keys verifier.KeySource

	// Algorithms is the allow-list of "alg" values. Default: the
	// asymmetric algorithms (verifier.DefaultAlgorithms); an HMAC one is
	// an error, as the receiver holds no shared secret.
	Algorithms []string

	// Replay records each token's "jti" for as long as the token could
	// be accepted, so that a token is acted on once. Required.
	Replay tokengate.ReplayStore

	// Publisher takes the purges to the caches. Required.
	Publisher revocation.Publisher

	// MaxAge is how long after its "iat" a token is accepted, which bounds
	// the replay window. Default 5m.
	MaxAge time.Duration

	// Leeway is the clock skew tolerated for "iat" and "exp". Default 30s;
	// tokengate.NoLeeway for none.
	Leeway time.Duration

	// MaxBodyBytes caps a request body. Default 64 KiB.
	MaxBodyBytes int64

	// Timeout bounds the work of one request: the key lookup, the replay
	// check and the publication. Default 10s.
	Timeout time.Duration

	// Logger receives every refused or failed event, with the reason,
	// never the token. Default slog.Default().
	Logger *slog.Logger

	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Receiver is an http.Handler for back-channel logout requests and pushed
// security events. It is safe for concurrent use.
type Receiver struct {
	cfg     Config
	allowed map[string]bool

	unpublished unpublished // tokens whose purges could not be published

	mu          sync.Mutex // guards nextRefusal
	nextRefusal time.Time  // refusals are logged at most once a second
}

const (
	defaultMaxAge       = 5 * time.Minute
	defaultMaxBodyBytes = 64 << 10
)

// New checks cfg and returns a Receiver.
func New(cfg Config) (*Receiver, error) {
	switch {
	case cfg.Issuer == "":
		return nil, errors.New("receiver: Config.Issuer is required")
	case cfg.Audience == "":
		return nil, errors.New("receiver: Config.Audience is required: the client ID the receiver is registered as")
	case cfg.Keys == nil:
		return nil, errors.New("receiver: Config.Keys is required: the issuer's keys")
	case cfg.Replay == nil:
		return nil, errors.New("receiver: Config.Replay is required: a token must be acted on once")
	case cfg.Publisher == nil:
		return nil, errors.New("receiver: Config.Publisher is required")
	case cfg.MaxAge < 0, cfg.MaxBodyBytes < 0, cfg.Timeout < 0:
		return nil, errors.New("receiver: Config.MaxAge, MaxBodyBytes and Timeout must not be negative")
	case cfg.Leeway == tokengate.NoLeeway:
		cfg.Leeway = 0
	case cfg.Leeway < 0 || cfg.Leeway > netpolicy.MaxLeeway:
		return nil, fmt.Errorf("receiver: Config.Leeway %v must be between 0 and %v, or tokengate.NoLeeway", cfg.Leeway, netpolicy.MaxLeeway)
	case cfg.Leeway == 0:
		cfg.Leeway = netpolicy.DefaultLeeway
	}
	r := &Receiver{allowed: map[string]bool{}}
	if len(cfg.Algorithms) == 0 {
		cfg.Algorithms = netpolicy.AsymmetricAlgorithms()
	}
	asymmetric := netpolicy.AsymmetricAlgorithms()
	for _, alg := range cfg.Algorithms {
		if !slices.Contains(asymmetric, alg) {
			return nil, fmt.Errorf("receiver: Config.Algorithms: %s is not an asymmetric algorithm", netpolicy.Quote(alg))
		}
		r.allowed[alg] = true
	}
	cfg.MaxAge = cmp.Or(cfg.MaxAge, defaultMaxAge)
	cfg.MaxBodyBytes = cmp.Or(cfg.MaxBodyBytes, defaultMaxBodyBytes)
	cfg.Timeout = cmp.Or(cfg.Timeout, netpolicy.DefaultTimeout)
	cfg.Logger = cmp.Or(cfg.Logger, slog.Default())
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r.cfg = cfg
	return r, nil
}

// ServeHTTP handles a POST by its Content-Type: a form is a back-channel
// logout request, application/secevent+jwt a pushed security event.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "receiver: POST only", http.StatusMethodNotAllowed)
		return
	}
	req.Body = http.MaxBytesReader(w, req.Body, r.cfg.MaxBodyBytes)
	ct, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	switch ct {
	case "application/x-www-form-urlencoded":
		r.logout(w, req)
	case "application/secevent+jwt":
		r.event(w, req)
	default:
		http.Error(w, "receiver: Content-Type must be application/x-www-form-urlencoded (a logout token) or application/secevent+jwt (a security event)", http.StatusUnsupportedMediaType)
	}
}
