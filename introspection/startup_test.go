package introspection_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tokengate/tokengate/introspection"
	"github.com/tokengate/tokengate/issuertest"
	"github.com/tokengate/tokengate/verifier"
)

func TestNewStartsWithoutTheIssuerAndServesOnceItIsBack(t *testing.T) {
	iss, clock := startIssuer(t)
	iss.SetFault(issuertest.EndpointDiscovery, issuertest.StatusFault(http.StatusServiceUnavailable))
	in := issuerIntrospector(t, iss, clock.Now, introspection.Config{CacheSize: 10, FailureBackoff: time.Second})
	const perAttempt = 2 // both metadata documents
	if got := iss.Requests(issuertest.EndpointDiscovery); got != perAttempt {
		t.Fatalf("discovery requests after New = %d, want %d", got, perAttempt)
	}
	tok := iss.AccessToken(issuertest.TokenRequest{Subject: issuertest.Alice})
	for i := range 3 { // one attempt, then none within the cooldown (FailureBackoff)
		verify(t, in, tok, verifier.ErrUnavailable)
		if i == 0 && iss.Requests(issuertest.EndpointDiscovery) != 2*perAttempt {
			t.Fatalf("discovery requests after the first Verify = %d, want %d", iss.Requests(issuertest.EndpointDiscovery), 2*perAttempt)
		}
	}
	if got := iss.Requests(issuertest.EndpointDiscovery); got != 2*perAttempt {
		t.Errorf("discovery requests after three Verify = %d, want %d", got, 2*perAttempt)
	}
	if err := in.Ready(t.Context()); err == nil || !strings.Contains(err.Error(), iss.URL) {
		t.Errorf("Ready() while the issuer is down = %v, want an error naming the issuer", err)
	}
	if got := iss.Requests(issuertest.EndpointIntrospect); got != 0 {
		t.Errorf("introspection calls while the endpoint is unknown = %d, want 0", got)
	}

	iss.ClearFaults()
	clock.Advance(2 * time.Second) // past the backoff of two failures
	verify(t, in, tok, nil)
	if err := in.Ready(t.Context()); err != nil {
		t.Errorf("Ready() once the endpoint answered = %v, want nil", err)
	}
	if got := iss.Requests(issuertest.EndpointIntrospect); got != 1 {
		t.Errorf("introspection calls = %d, want 1 (Ready asks no more once it answered)", got)
	}
}

func TestReadyProbesAFailingEndpoint(t *testing.T) {
	iss, clock := startIssuer(t)
	iss.SetFault(issuertest.EndpointIntrospect, issuertest.StatusFault(http.StatusInternalServerError))
	in := issuerIntrospector(t, iss, clock.Now, introspection.Config{FailureBackoff: time.Second})
	if got := iss.Requests(issuertest.EndpointIntrospect); got != 1 {
		t.Fatalf("calls after New = %d, want 1 (the credential check)", got)
	}
	if err := in.Ready(t.Context()); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("Ready() with the endpoint failing = %v, want an error naming status 500", err)
	}
	// A second failure in a row (New's check is not the breaker's) pauses
	// calls for FailureBackoff, and Ready does not call through the pause.
	for range 2 {
		if err := in.Ready(t.Context()); err == nil {
			t.Error("Ready() with the endpoint failing = nil, want an error")
		}
	}
	if got := iss.Requests(issuertest.EndpointIntrospect); got != 3 {
		t.Errorf("calls = %d, want 3 (no probe during the pause)", got)
	}
	iss.ClearFaults()
	clock.Advance(time.Second)
	if err := in.Ready(t.Context()); err != nil {
		t.Errorf("Ready() after the pause, endpoint back = %v, want nil", err)
	}
	if err := in.Ready(t.Context()); err != nil || iss.Requests(issuertest.EndpointIntrospect) != 4 {
		t.Errorf("Ready() again = %v after %d calls, want nil after 4 (known good: no call)", err, iss.Requests(issuertest.EndpointIntrospect))
	}
}

func TestNewBadCredentialsFailAtOnce(t *testing.T) {
	iss, clock := startIssuer(t)
	_, err := introspection.New(t.Context(), introspection.Config{
		Issuer: iss.URL, Audience: iss.Audience(), Now: clock.Now,
		ClientID: issuertest.APIClientID, ClientSecret: "wrong-secret",
	})
	if err == nil || !strings.Contains(err.Error(), "Config.ClientID") {
		t.Fatalf("New() with a wrong secret: error = %v, want a configuration error naming Config.ClientID", err)
	}
}
