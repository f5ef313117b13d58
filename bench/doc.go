// Package bench compares tokengate with the floor of its work (the bare
// signature check) and with other Go libraries that verify the same
// access tokens. It is a module of its own, so that the peers it imports
// never enter tokengate's go.mod, and the root module's go test ./...
// does not run it.
//
// Every benchmark uses the same fixture: one RSA-2048, one P-256 and one
// Ed25519 key made once per process, a JWKS server on loopback that
// publishes them, and one access token per algorithm with the same claims
// (iss, sub, aud, exp, iat, scope, client_id, jti; header typ "at+jwt"
// and kid), plus 256 distinct tokens per algorithm for the fresh-token
// benchmarks and 1000 distinct RS256 tokens for the load. Sub-benchmarks
// are named group/algorithm/implementation, for example
// BenchmarkVerify/RS256/floor and BenchmarkVerify/RS256/tokengate, so that
// every figure can be read against the floor or the unprotected baseline
// of the same run.
//
// The groups: BenchmarkVerify (fresh tokens: every implementation cycles
// through the distinct tokens, tokengate with a small token cache full of
// other tokens, so that none of them is a hit), BenchmarkVerifyPaired
// (the floor and tokengate timed op by op, which decides the fresh-token
// targets), BenchmarkVerifyRepeated (one token again: a hit in
// tokengate's cache), BenchmarkVerifyParallel (GOMAXPROCS goroutines,
// each with its own tokens, and the same calls from one goroutine through
// the same harness, the -serial rows, which the scaling targets divide by),
// BenchmarkHTTP* (the middleware, in process and over loopback),
// BenchmarkLoad (64 clients in a closed loop over loopback, requests/s and
// p99), BenchmarkGRPC, BenchmarkIntrospection, and BenchmarkRSAModulus
// (what a prepared RSA public key would save).
//
// The tests of this package check that every verifier compared accepts
// the fixture's tokens and refuses a token for another audience, another
// issuer, an expired one and one with a bad signature, so that no peer is
// faster for skipping a check, and that the fresh pool never hits
// tokengate's cache. CI runs them.
//
// run.sh runs the tests, then every benchmark COUNT times with -benchmem
// (as COUNT interleaved rounds of one test binary, so that load from
// elsewhere on the machine falls on every implementation alike), then
// benchstat and cmd/report, which writes ../BENCHMARKS.md with medians,
// ratios to the floor or unprotected baseline, and the targets met or not.
// Raw output stays in out/, which is not committed.
//
//	./run.sh                          # COUNT=8 BENCHTIME=700ms by default
//	COUNT=12 BENCHTIME=1s ./run.sh    # on a quiet machine
//	INTERLEAVE=0 ./run.sh             # plain go test -count instead of rounds
//
// One benchmark by hand:
//
//	go test -run '^$' -bench 'BenchmarkVerify/RS256' -benchmem -count 6 .
package bench
