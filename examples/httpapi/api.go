package main

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/jwkscache"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// api holds the handler and the verifiers it owns.
type api struct {
	handler http.Handler
	jwt     *verifier.JWT
	intro   *introspection.Introspector
}

// newAPI builds both verifiers and the routes. The introspector caches
// active results for up to 30 seconds: a revoked token can work that long.
func newAPI(ctx context.Context, cfg config) (*api, error) {
	jwt, err := verifier.New(ctx, verifier.Config{
		Issuer:    cfg.issuer,
		Audience:  cfg.audience,
		KeyPolicy: jwkscache.Policy{UnknownKIDCooldown: cfg.cooldown},
	})
	if err != nil {
		return nil, err
	}
	intro, err := introspection.New(ctx, introspection.Config{
		Issuer:       cfg.issuer,
		ClientID:     cfg.clientID,
		ClientSecret: cfg.clientSecret,
		Audience:     cfg.audience,
		CacheSize:    10_000,
		MaxCacheTTL:  30 * time.Second,
	})
	if err != nil {
		jwt.Close()
		return nil, err
	}
	metaURL, err := middleware.ResourceMetadataURL(cfg.resource)
	if err != nil {
		jwt.Close()
		intro.Close()
		return nil, err
	}
	guard := &middleware.Guard{Realm: "httpapi", ResourceMetadata: metaURL}
	mux := http.NewServeMux()
	mux.Handle("GET /orders", guard.Require(jwt, scopes.All("orders:read"))(reply("listed orders")))
	mux.Handle("POST /orders", guard.Require(jwt, scopes.All("orders:write"))(reply("created an order")))
	mux.Handle("POST /refunds", guard.Require(intro, scopes.All("refunds:write"))(reply("refunded")))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.Handle("GET /.well-known/oauth-protected-resource", &middleware.ProtectedResourceMetadata{
		Resource:               cfg.resource,
		AuthorizationServers:   []string{cfg.issuer},
		ScopesSupported:        []string{"orders:read", "orders:write", "refunds:write"},
		BearerMethodsSupported: []string{"header"},
	})
	return &api{handler: mux, jwt: jwt, intro: intro}, nil
}

func (a *api) close() {
	a.jwt.Close()
	a.intro.Close()
}

// reply answers with what was done and for whom.
func reply(what string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := verifier.FromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"result": what, "sub": c.Subject, "client_id": c.ClientID, "scopes": c.Scopes})
	})
}
