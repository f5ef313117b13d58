package revocation_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tokengate/tokengate/revocation"
)

// recorder is a Forgetter that records what it was asked to forget.
type recorder struct {
	mu  sync.Mutex // guards got
	got []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, s)
}

func (r *recorder) ForgetSubject(s string) { r.add("subject " + s) }
func (r *recorder) ForgetClient(c string)  { r.add("client " + c) }
func (r *recorder) ForgetTokenID(j string) { r.add("token_id " + j) }
func (r *recorder) ForgetAll()             { r.add("all") }

func TestLocalAppliesPurges(t *testing.T) {
	tests := []struct {
		purge revocation.Purge
		want  string
	}{
		{revocation.Purge{Kind: revocation.Subject, Value: "alice"}, "subject alice"},
		{revocation.Purge{Kind: revocation.Client, Value: "web"}, "client web"},
		{revocation.Purge{Kind: revocation.TokenID, Value: "j1"}, "token_id j1"},
		{revocation.Purge{Kind: revocation.All}, "all"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			a, b := &recorder{}, &recorder{}
			if err := revocation.Local(a, b).Publish(t.Context(), tt.purge); err != nil {
				t.Fatalf("Publish() error = %v", err)
			}
			for _, r := range []*recorder{a, b} {
				if !slices.Equal(r.got, []string{tt.want}) {
					t.Errorf("forgot %q, want %q", r.got, tt.want)
				}
			}
		})
	}
}

func TestMalformedPurgeRefused(t *testing.T) {
	tests := []struct {
		name  string
		purge revocation.Purge
		want  string
	}{
		{"unknown kind", revocation.Purge{Kind: "grant", Value: "x"}, "kind \"grant\""},
		{"subject without value", revocation.Purge{Kind: revocation.Subject}, "without a value"},
		{"all with value", revocation.Purge{Kind: revocation.All, Value: "x"}, "all with a value"},
		{"oversized value", revocation.Purge{Kind: revocation.Subject, Value: strings.Repeat("a", 513)}, "513 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			err := revocation.Local(r).Publish(t.Context(), tt.purge)
			if !errors.Is(err, revocation.ErrInvalidPurge) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Publish() error = %v, want ErrInvalidPurge containing %q", err, tt.want)
			}
			tt.purge.Apply(r)
			if len(r.got) != 0 {
				t.Errorf("forgot %q for a malformed purge, want nothing", r.got)
			}
		})
	}
}

func TestForgetAllFuncEmptiesForEveryKind(t *testing.T) {
	n := 0
	f := revocation.ForgetAllFunc(func() { n++ })
	for _, p := range []revocation.Purge{
		{Kind: revocation.Subject, Value: "a"}, {Kind: revocation.Client, Value: "c"},
		{Kind: revocation.TokenID, Value: "j"}, {Kind: revocation.All},
	} {
		p.Apply(f)
	}
	if n != 4 {
		t.Errorf("purge-all calls = %d, want 4", n)
	}
}
