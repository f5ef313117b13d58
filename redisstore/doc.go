// Package redisstore shares the state of an API's replicas through Redis
// (github.com/redis/go-redis/v9): the introspection result cache, the
// replay store of DPoP proofs and logout tokens, and the purges that
// revocation events call for. It is the only tokengate package that links
// a Redis client; a service that does not import it does not link one.
//
// # Setting up
//
// Every replica makes one Store on the same Redis, and gives it to the
// introspector, to whatever checks one-time values, and to the
// subscription that purges its caches:
//
//	store, err := redisstore.New(redisstore.Config{Addr: "redis:6379"})
//	if err != nil {
//		return err
//	}
//	defer store.Close()
//
//	in, err := introspection.New(ctx, introspection.Config{
//		// ... the endpoint, credentials and audience, as for one replica
//		CacheSize:    10_000,
//		SharedCache:  store,
//		SharedSecret: secret, // 32+ random bytes, the same at every replica
//	})
//	...
//	if err := store.Subscribe(ctx, in); err != nil {
//		log.Warn("revocations from other replicas not received yet", "err", err)
//	}
//
// A replica that receives revocation events from the authorization
// server publishes them with the Store as its revocation.Publisher (see
// package revocation/receiver). The Store is a tokengate.ReplayStore too:
// give it to the DPoP proof check and to the receiver, so that a proof or
// a logout token used at one replica is refused at every other.
//
// # What is shared, and what Redis can do
//
// The introspection cache sits behind each replica's process cache: a
// process hit never reaches Redis. On a process miss the replica reads
// Redis; on a Redis miss, one replica takes a short lock (SET NX PX) and
// calls the authorization server while the others wait for its answer,
// so that N replicas make one call for a new token. Keys are HMAC-SHA-256
// of the tokens and values are sealed with a MAC, both under the secret
// the replicas share (package introspection makes and checks them):
// reading Redis yields no token, and writing to it cannot make a token
// valid. What Redis can do is hide entries, delete revocation markers, or
// drop purge messages: an attacker with write access can make revocations
// slower (never later than introspection.Config.MaxCacheTTL), not forge
// an answer.
//
// Revocations hide entries with markers: each entry is stored with tags
// (the keyed hashes of its token, subject, client and token ID, and a
// tag that every entry has), and a marker for a tag hides every entry
// stored with it before the marker, in the order of one counter in Redis.
//
// # When Redis is down
//
// Redis down is an outage, not an opening, and no request fails because
// of it. Every replica works from its own process cache and calls the
// authorization server itself; its replay store is then its own
// (Config.Fallback), so that a value used at one replica is refused at
// that replica only until Redis is back; purges reach only the replica
// that received the event. Each of these is logged once at Warn when it
// starts and at Info when Redis answers again. A subscription that was
// cut purges every cache when it is restored, since purges may have been
// missed.
//
// Redis Cluster is supported when Config.Prefix is a hash tag such as
// "{tokengate}:", which keeps the keys that one script touches in one
// slot.
package redisstore
