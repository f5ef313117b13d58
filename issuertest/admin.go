package issuertest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"
)

// adminRoutes serves the JSON admin endpoint of [WithAdminAPI]. Every POST
// must have Content-Type application/json, which a browser cannot send
// cross-origin without a CORS preflight that this server never grants.
func (s *Server) adminRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/keys", s.adminKeys)
	mux.HandleFunc("POST /admin/rotate", s.adminRotate)
	mux.HandleFunc("POST /admin/retire", s.adminRetire)
	mux.HandleFunc("POST /admin/fault", s.adminFault)
	mux.HandleFunc("POST /admin/clear-faults", s.adminClearFaults)
	mux.HandleFunc("GET /admin/requests", s.adminRequests)
	mux.HandleFunc("POST /admin/token", s.adminToken)
	mux.HandleFunc("POST /admin/end-session", s.adminEndSession)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || ct != "application/json" {
				adminError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
				return
			}
		}
		noStore(w)
		mux.ServeHTTP(w, r)
	})
}

func adminError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": "issuertest: " + msg})
}

// readAdmin decodes a bounded JSON body into v, refusing unknown fields.
// An empty body leaves v as it is.
func readAdmin(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFormBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && err != io.EOF {
		adminError(w, http.StatusBadRequest, "bad JSON body: "+err.Error())
		return false
	}
	return true
}

// GET /admin/keys -> {"signing_kid": "...", "kids": ["...", ...]}
func (s *Server) adminKeys(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"signing_kid": s.SigningKeyID(), "kids": s.KeyIDs()})
}

// Rotation modes of POST /admin/rotate.
const (
	rotateSignAtOnce      = "sign-at-once"
	rotatePublishThenSign = "publish-then-sign"
)

// POST /admin/rotate {"mode": "sign-at-once"} -> {"kid": "...", "signs_from": "..."}
// The mode is "sign-at-once" ([Server.RotateKey], the default) or
// "publish-then-sign" ([Server.PublishNextKey]).
func (s *Server) adminRotate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Mode string `json:"mode"`
	}
	if !readAdmin(w, r, &body) {
		return
	}
	var kid string
	signsFrom := s.now()
	switch body.Mode {
	case "", rotateSignAtOnce:
		kid = s.RotateKey()
	case rotatePublishThenSign:
		kid, signsFrom = s.PublishNextKey()
	default:
		adminError(w, http.StatusBadRequest, fmt.Sprintf("mode %s is not %q or %q", quote80(body.Mode), rotateSignAtOnce, rotatePublishThenSign))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"kid": kid, "signs_from": signsFrom.UTC().Format(time.RFC3339)})
}

// POST /admin/retire {"kid": "..."} -> 204
func (s *Server) adminRetire(w http.ResponseWriter, r *http.Request) {
	var body struct {
		KID string `json:"kid"`
	}
	if !readAdmin(w, r, &body) {
		return
	}
	if err := s.keys.retire(body.KID); err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// adminFaultRequest is the body of POST /admin/fault: the fields of a
// [Fault], durations in milliseconds and Retry-After in seconds.
type adminFaultRequest struct {
	Endpoint          Endpoint `json:"endpoint"`
	DelayMS           int64    `json:"delay_ms"`
	Status            int      `json:"status"`
	Body              string   `json:"body"`
	RetryAfterSeconds int64    `json:"retry_after_seconds"`
	Times             int      `json:"times"`
	Drop              bool     `json:"drop"`
	TrickleMS         int64    `json:"trickle_ms"`
}

// POST /admin/fault {"endpoint": "jwks", "delay_ms": 0, "status": 503, "body": "", "retry_after_seconds": 0,
// "times": 0, "drop": false, "trickle_ms": 0} -> 204
func (s *Server) adminFault(w http.ResponseWriter, r *http.Request) {
	var body adminFaultRequest
	if !readAdmin(w, r, &body) {
		return
	}
	f := Fault{
		Delay: time.Duration(body.DelayMS) * time.Millisecond, Status: body.Status, Body: body.Body,
		RetryAfter: time.Duration(body.RetryAfterSeconds) * time.Second, Times: body.Times,
		Drop: body.Drop, Trickle: time.Duration(body.TrickleMS) * time.Millisecond,
	}
	if err := s.setFault(body.Endpoint, f); err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// POST /admin/clear-faults {"endpoint": "jwks"} or {} for all -> 204
func (s *Server) adminClearFaults(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Endpoint Endpoint `json:"endpoint"`
	}
	if !readAdmin(w, r, &body) {
		return
	}
	if body.Endpoint == "" {
		s.ClearFaults()
	} else {
		s.ClearFault(body.Endpoint)
	}
	w.WriteHeader(http.StatusNoContent)
}

// GET /admin/requests -> {"discovery": 1, "jwks": 2, ...}
func (s *Server) adminRequests(w http.ResponseWriter, r *http.Request) {
	counts := map[Endpoint]int{}
	for _, e := range Endpoints() {
		counts[e] = s.Requests(e)
	}
	writeJSON(w, http.StatusOK, counts)
}

// adminTokenRequest is the body of POST /admin/token.
type adminTokenRequest struct {
	Kind            string         `json:"kind"`
	Subject         string         `json:"subject"`
	ClientID        string         `json:"client_id"`
	Scopes          []string       `json:"scopes"`
	Audience        []string       `json:"audience"`
	LifetimeSeconds int64          `json:"lifetime_seconds"`
	Nonce           string         `json:"nonce"`
	Header          map[string]any `json:"header"`
	Claims          map[string]any `json:"claims"`
}

// POST /admin/token {"kind": "access", "subject": "alice", "scopes": [...]} -> {"token": "..."}
// kind is "access" (default), "id" or the name of a bad token from
// [Server.BadTokens], such as "expired" or "alg none".
func (s *Server) adminToken(w http.ResponseWriter, r *http.Request) {
	var body adminTokenRequest
	if !readAdmin(w, r, &body) {
		return
	}
	req := TokenRequest{
		Subject: body.Subject, ClientID: body.ClientID, Scopes: body.Scopes, Audience: body.Audience,
		Lifetime: time.Duration(body.LifetimeSeconds) * time.Second, Nonce: body.Nonce,
		Header: body.Header, Claims: body.Claims,
	}
	token, err := s.tokenOfKind(body.Kind, req)
	if err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": token})
}

func (s *Server) tokenOfKind(kind string, req TokenRequest) (string, error) {
	switch kind {
	case "", "access":
		return s.AccessToken(req), nil
	case "id":
		return s.IDToken(req), nil
	}
	for _, t := range s.BadTokens(req) {
		if t.Name == kind {
			return t.Token, nil
		}
	}
	return "", fmt.Errorf("unknown token kind %s", quote80(kind))
}
