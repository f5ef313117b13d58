package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The shared introspection cache. An entry is a hash of its sealed value
// ("v"), its place in the order of writes ("t") and its tags ("g"); a
// revocation marker is the place of the revocation in that order, under
// the tag's key. The order is one counter in Redis, incremented by every
// write and every revocation, so that "stored before the revocation"
// means exactly that, whatever the clocks say. Reads and writes are
// scripts, so that an entry and its check against the markers are one
// round trip.
//
// Redis holds no token and decides nothing: keys and tags are keyed
// hashes and values are sealed by package introspection, which checks
// every value it reads.

// maxValueBytes bounds what a read returns; the introspector's own bound
// is lower, so a longer value was not written by it.
const maxValueBytes = 64 << 10

var getScript = redis.NewScript(`
local e = redis.call('HMGET', KEYS[1], 'v', 't', 'g')
if not e[1] or not e[2] or not e[3] then return false end
if string.len(e[1]) > tonumber(ARGV[2]) then return false end
local t = tonumber(e[2])
if not t then return false end
for tag in string.gmatch(e[3], '[^ ]+') do
  local r = redis.call('GET', ARGV[1] .. tag)
  if r and tonumber(r) and tonumber(r) >= t then
    redis.call('DEL', KEYS[1])
    return false
  end
end
return e[1]
`)

var setScript = redis.NewScript(`
local seq = redis.call('INCR', KEYS[2])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 't', seq, 'g', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`)

var revokeScript = redis.NewScript(`
local seq = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], seq, 'PX', ARGV[1])
return 1
`)

var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

func (s *Store) entryKey(key string) string  { return s.prefix + "i:" + key }
func (s *Store) markerPrefix() string        { return s.prefix + "r:" }
func (s *Store) lockKey(key string) string   { return s.prefix + "l:" + key }
func (s *Store) markerKey(tag string) string { return s.markerPrefix() + tag }
func (s *Store) seqKey() string              { return s.prefix + "seq" }

// Get returns the value stored under key, or nil when there is none, it
// has expired, or a revocation marker newer than it names one of its
// tags (the entry is then deleted).
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	v, err := getScript.Run(ctx, s.rdb, []string{s.entryKey(key)}, s.markerPrefix(), maxValueBytes).Text()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, nil
	case err != nil:
		return nil, unavailable("reading a shared entry", err)
	}
	return []byte(v), nil
}

// Set stores value under key for ttl with tags, after every revocation
// so far. Tags hold no spaces: package introspection makes them of
// hex digits, letters and colons.
func (s *Store) Set(ctx context.Context, key string, value []byte, ttl time.Duration, tags []string) error {
	if len(value) > maxValueBytes || ttl <= 0 {
		return nil // not worth sharing; the process cache keeps it
	}
	err := setScript.Run(ctx, s.rdb, []string{s.entryKey(key), s.seqKey()}, value, ttl.Milliseconds(), strings.Join(tags, " ")).Err()
	if err != nil {
		return unavailable("storing a shared entry", err)
	}
	return nil
}

// Lock takes key's lock with SET NX PX, holding a random value that only
// its unlock function deletes, so that a lock that expired and was taken
// by another replica is not released by the first.
func (s *Store) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	owner := rand.Text()
	ok, err := s.rdb.SetNX(ctx, s.lockKey(key), owner, ttl).Result()
	switch {
	case err != nil:
		return nil, unavailable("taking a fill lock", err)
	case !ok:
		return nil, nil
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), ttl)
		defer cancel()
		unlockScript.Run(ctx, s.rdb, []string{s.lockKey(key)}, owner) // an expired lock needs no release
	}, nil
}

// Revoke stores a marker for tag for ttl: every entry stored before it
// with tag is then hidden.
func (s *Store) Revoke(ctx context.Context, tag string, ttl time.Duration) error {
	if err := revokeScript.Run(ctx, s.rdb, []string{s.markerKey(tag), s.seqKey()}, max(ttl, time.Millisecond).Milliseconds()).Err(); err != nil {
		return unavailable("storing a revocation marker", err)
	}
	return nil
}
