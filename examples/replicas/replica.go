package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/tokengate/tokengate"
	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/jwkscache"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/redisstore"
	"github.com/tokengate/tokengate/revocation/receiver"
	"github.com/tokengate/tokengate/scopes"
)

// proofWindow is how long a one-time value at /proofs is remembered, as a
// DPoP proof's jti is for the proof's acceptance window.
const proofWindow = time.Minute

// replica holds the handler and what it owns.
type replica struct {
	handler http.Handler
	store   *redisstore.Store
	intro   *introspection.Introspector
	keys    *jwkscache.Cache
}

// newReplica builds the shared store, the introspector behind it, the
// revocation receiver and the routes. Redis need not be up: the replica
// then works alone until it is, and says so in its log.
func newReplica(ctx context.Context, cfg config, logs io.Writer) (*replica, error) {
	log := slog.New(slog.NewTextHandler(logs, nil)).With("replica", cfg.name)
	store, err := redisstore.New(redisstore.Config{Addr: cfg.redisAddr, Logger: log})
	if err != nil {
		return nil, err
	}
	intro, err := introspection.New(ctx, introspection.Config{
		Issuer: cfg.issuer, ClientID: cfg.clientID, ClientSecret: cfg.clientSecret, Audience: cfg.audience,
		CacheSize: 10_000, MaxCacheTTL: cfg.maxCacheTTL,
		SharedCache: store, SharedSecret: cfg.secret, Logger: log,
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	r := &replica{store: store, intro: intro}
	if r.keys, err = jwkscache.New(ctx, jwkscache.Config{URL: cfg.jwksURL}); err != nil {
		r.close()
		return nil, err
	}
	rcv, err := receiver.New(receiver.Config{
		Issuer: cfg.issuer, Audience: cfg.clientID, Keys: r.keys,
		Replay: store, Publisher: store, Logger: log,
	})
	if err != nil {
		r.close()
		return nil, err
	}
	subscribing, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := store.Subscribe(subscribing, intro); err != nil {
		log.Warn("revocations from other replicas not received until Redis answers", "cause", err.Error())
	}
	mux := http.NewServeMux()
	mux.Handle("GET /orders", middleware.Require(intro, scopes.All("orders:read"))(orders(cfg.name)))
	mux.Handle("POST /revocations", rcv)
	mux.Handle("POST /proofs", proofs(store))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	r.handler = mux
	return r, nil
}

func (r *replica) close() {
	if r.keys != nil {
		r.keys.Close()
	}
	r.intro.Close()
	r.store.Close()
}

// orders answers who asked, and which replica answered.
func orders(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := tokengate.FromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"replica": name, "sub": c.Subject})
	})
}

// proofs checks a one-time value at the shared replay store, as the DPoP
// check does with a proof's jti (RFC 9449 §11.1): 201 the first time at
// any replica, 409 after, 503 when the store cannot decide.
func proofs(store tokengate.ReplayStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
		jti := r.FormValue("jti")
		if jti == "" {
			http.Error(w, "jti is required", http.StatusBadRequest)
			return
		}
		fresh, err := store.Use(r.Context(), "proof:"+jti, time.Now().Add(proofWindow))
		switch {
		case err != nil:
			http.Error(w, "the replay store cannot decide now", http.StatusServiceUnavailable)
		case !fresh:
			http.Error(w, "jti replayed", http.StatusConflict)
		default:
			w.WriteHeader(http.StatusCreated)
		}
	})
}
