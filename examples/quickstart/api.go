package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/tokengate/tokengate/dpop"
	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/middleware"
	"github.com/tokengate/tokengate/scopes"
	"github.com/tokengate/tokengate/verifier"
)

// api is the protected resource server of the story: one route checked by
// local JWT verification, one by token introspection.
type api struct {
	url   string
	srv   *http.Server
	jwt   *verifier.JWT
	intro *introspection.Introspector
}

// startAPI builds the two verifiers for iss and serves the routes on a
// loopback port.
func startAPI(ctx context.Context, iss *issuertest.Server, now func() time.Time) (*api, error) {
	jwt, err := verifier.New(ctx, verifier.Config{
		Issuer:   iss.URL,
		Audience: iss.Audience(),
		Now:      now,
	})
	if err != nil {
		return nil, err
	}
	// No result cache here, so that a revocation shows at once. With
	// CacheSize > 0 a revoked token would be refused within MaxCacheTTL.
	intro, err := introspection.New(ctx, introspection.Config{
		Issuer:       iss.URL,
		ClientID:     issuertest.APIClientID,
		ClientSecret: issuertest.APIClientSecret,
		Audience:     iss.Audience(),
		Now:          now,
	})
	if err != nil {
		jwt.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		jwt.Close()
		intro.Close()
		return nil, err
	}
	a := &api{url: "http://" + ln.Addr().String(), jwt: jwt, intro: intro}
	// A route that takes DPoP-bound tokens only (RFC 9449): the proof
	// checker keeps used proofs in memory, and the Guard learns the URL
	// proofs must name from here, not from the request's Host.
	proofs, err := dpop.New(dpop.Config{Now: now})
	if err != nil {
		ln.Close()
		jwt.Close()
		intro.Close()
		return nil, err
	}
	dpopOnly := &middleware.Guard{DPoP: proofs, RequireDPoP: true, ExternalURL: a.url}
	mux := http.NewServeMux()
	mux.Handle("GET /orders", middleware.Require(jwt, scopes.All("orders:read"))(showClaims("local JWT")))
	mux.Handle("POST /refunds", middleware.Require(intro, scopes.All("refunds:write"))(showClaims("introspection")))
	mux.Handle("GET /dpop/orders", dpopOnly.Require(jwt, scopes.All("orders:read"))(showClaims("local JWT, DPoP")))
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := a.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Println("api:", err)
		}
	}()
	return a, nil
}

func (a *api) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a.srv.Shutdown(ctx)
	a.jwt.Close()
	a.intro.Close()
}

// showClaims is the API's handler: it answers with what it was told about
// the caller.
func showClaims(checkedBy string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := verifier.FromContext(r.Context())
		if !ok {
			http.Error(w, "no claims", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"checked_by": checkedBy,
			"sub":        c.Subject,
			"client_id":  c.ClientID,
			"scopes":     c.Scopes,
			"expires_at": c.ExpiresAt.UTC().Format(time.RFC3339),
		})
	})
}
