package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tokengate/tokengate/revocation"
)

// The revocation bus: one replica's receiver publishes a purge on the
// store's channel and every replica's subscription, its own included,
// applies it to the forgetters it was given. A message holds a purge's
// kind and value (a subject or client identifier, or a token ID), never a
// token. A message on the channel can only make caches forget.
//
// Pub/sub delivers a message to the subscribers connected at the time, at
// most once. A subscription that lost its connection may have missed
// purges, so when it is subscribed again it applies a purge of
// everything: the caches then ask the authorization server again, which
// costs calls but never serves a revoked token longer than it must.

// maxMessageBytes bounds a purge message on the channel.
const maxMessageBytes = 2 * revocation.MaxValueBytes

// Subscription timing: how long a receive waits before it pings to check
// the connection, and the pause after a failure, doubling up to a cap.
const (
	pingEvery     = 30 * time.Second
	minRetryPause = 50 * time.Millisecond
	maxRetryPause = 2 * time.Second
)

// Publish sends p to every replica's subscription. If Redis does not take
// it, Publish applies p to this replica's forgetters at once and returns
// an error wrapping ErrUnavailable: the other replicas did not get it.
func (s *Store) Publish(ctx context.Context, p revocation.Purge) error {
	if err := p.Check(); err != nil {
		return err
	}
	msg, _ := json.Marshal(p) // a Purge always marshals
	if err := s.rdb.Publish(ctx, s.channel, msg).Err(); err != nil {
		s.busHealth.failed(err, "down: revocations reach this replica only")
		p.Apply(s.localForgetters()...)
		return unavailable("publishing a purge", err)
	}
	s.busHealth.answered()
	return nil
}

func (s *Store) localForgetters() []revocation.Forgetter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]revocation.Forgetter(nil), s.forgetters...)
}

// Subscribe makes fs forget what every purge published by any replica
// names, from now until Close. The first call starts the subscription, in
// a goroutine that Close ends, and waits until Redis confirms it or ctx
// ends; an error (wrapping ErrUnavailable) means Redis has not confirmed
// it yet, and the subscription keeps trying in the background. Later
// calls add forgetters and return at once.
func (s *Store) Subscribe(ctx context.Context, fs ...revocation.Forgetter) error {
	s.mu.Lock()
	s.forgetters = append(s.forgetters, fs...)
	if s.subscribed || s.closed {
		s.mu.Unlock()
		return nil
	}
	s.subscribed = true
	life, stop := context.WithCancel(context.Background())
	s.stop, s.done = stop, make(chan struct{})
	ready := make(chan struct{})
	ps := s.rdb.Subscribe(life, s.channel) // a failure here is retried by the receive loop
	go s.listen(life, ps, ready)
	s.mu.Unlock()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return unavailable("subscribing to purges", context.Cause(ctx))
	}
}

// listen applies the purges of ps until ctx ends.
func (s *Store) listen(ctx context.Context, ps *redis.PubSub, ready chan struct{}) {
	defer close(s.done)
	confirmed := false
	context.AfterFunc(ctx, func() { ps.Close() }) // ends a receive in progress
	lost := false                                 // a failure since the last confirmed subscription
	pause := minRetryPause
	for ctx.Err() == nil {
		msg, err := ps.ReceiveTimeout(ctx, pingEvery)
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" && !confirmed {
				confirmed = true
				close(ready)
			}
			if m.Kind == "subscribe" && lost {
				lost, pause = false, minRetryPause
				s.busHealth.answered()
				s.log.Info("redisstore: subscribed again after an outage: purging every cache, as purges may have been missed")
				revocation.Purge{Kind: revocation.All}.Apply(s.localForgetters()...)
			}
		case *redis.Message:
			s.apply(m.Payload)
		}
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() && ps.Ping(ctx) == nil {
			continue // quiet channel, live connection
		}
		if ctx.Err() != nil {
			return
		}
		lost = true
		s.busHealth.failed(err, "down: revocations published elsewhere do not reach this replica until Redis is back")
		if !sleep(ctx, pause) {
			return
		}
		pause = min(2*pause, maxRetryPause)
	}
}

// apply decodes one message and applies its purge; a malformed message is
// logged and ignored.
func (s *Store) apply(payload string) {
	var p revocation.Purge
	if len(payload) > maxMessageBytes {
		s.log.Warn("redisstore: purge message ignored: too long", "bytes", len(payload))
		return
	}
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		s.log.Warn("redisstore: purge message ignored: not JSON", "cause", err.Error())
		return
	}
	if err := p.Check(); err != nil {
		s.log.Warn("redisstore: purge message ignored", "cause", err.Error())
		return
	}
	p.Apply(s.localForgetters()...)
}

// sleep waits d on the real clock, or reports that ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
