package jwkscache

import (
	"errors"
	"fmt"

	"github.com/tokengate/tokengate/internal/netpolicy"
)

// The sentinel errors below are the contract with the JWT verifier. A lookup
// that fails because of the token wraps [ErrKeyNotFound]; a lookup that fails
// because of the issuer wraps [ErrUnavailable]. They never both match.
var (
	// ErrKeyNotFound reports that the key set holds no usable key for the
	// token's kid and alg: the token is bad (HTTP 401).
	ErrKeyNotFound = errors.New("jwkscache: no usable key for the token")

	// ErrAlgMismatch reports that the key named by the token's kid does not
	// fit the token's alg: the key declares another "alg", or its type or
	// curve does not belong to the alg's family. It wraps [ErrKeyNotFound].
	ErrAlgMismatch = fmt.Errorf("%w: key and alg mismatch", ErrKeyNotFound)

	// ErrUnavailable reports that no key set could be had: nothing was
	// fetched yet, or the last good set is older than Config.MaxStaleness.
	// The issuer is the problem, not the token (HTTP 503).
	ErrUnavailable = errors.New("jwkscache: key set unavailable")

	// ErrClosed is returned by [Cache.Refresh] after [Cache.Close].
	ErrClosed = errors.New("jwkscache: cache closed")
)

// Fixed errors of the lookup path. They are values so that a failed lookup
// costs no allocation either (a flood of bogus kids is a failed-lookup load).
var (
	errKIDTooLong     = fmt.Errorf("%w: kid longer than %d bytes", ErrKeyNotFound, maxKIDLen)
	errUnsupportedAlg = fmt.Errorf("%w: alg is not an asymmetric signature algorithm", ErrKeyNotFound)
	errUnknownKID     = fmt.Errorf("%w: kid not in the key set", ErrKeyNotFound)
	errNoKIDAmbiguous = fmt.Errorf("%w: token has no kid and the set has not exactly one key without kid for its alg", ErrKeyNotFound)
	errKIDNotString   = fmt.Errorf("%w: header kid is not a string", ErrKeyNotFound)
	errAlgNotString   = fmt.Errorf("%w: header alg is missing or not a string", ErrKeyNotFound)
	errNothingFetched = fmt.Errorf("%w: no key set fetched yet", ErrUnavailable)
	errTooStale       = fmt.Errorf("%w: last good key set is older than the staleness limit", ErrUnavailable)
)

// quote renders a value for an error message (netpolicy.Quote).
var quote = netpolicy.Quote
