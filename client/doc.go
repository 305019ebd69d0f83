// Package client reads Coffer secrets and parameters (or AWS's: it speaks
// the Secrets Manager and SSM APIs through aws-sdk-go-v2) through an
// in-memory cache, for functions and services that fetch a secret at run
// time and must stay fast and cheap while picking up rotations.
//
// A Cache serves a value from memory for Options.TTL (default 5 minutes),
// then fetches it again. Concurrent misses for one item share one fetch.
// Beyond that, all optional:
//
//   - MaxItems bounds memory, evicting the least recently used item;
//   - RefreshAhead refreshes an item in the background shortly before it
//     expires, so callers never wait for a fetch of a hot item;
//   - VersionCheck asks DescribeSecret whether the current version changed
//     before fetching a value again, as AWS's caching clients do;
//   - StaleIfError serves an expired value for a while when the service is
//     down, in the spirit of HTTP's stale-if-error (RFC 5861);
//   - a Sealer keeps values sealed in memory, opening them on each read.
//
// RefreshNow and Invalidate act on one secret now.
//
// Invariants: a cache hit allocates nothing (without a Sealer), which
// BenchmarkCacheHit holds; values are never logged and never put into
// errors (errors name the secret, parameter or JSON field, and errors from
// encoding/json, which quote their input, are dropped); []byte results are
// shared with the cache and must not be modified; every goroutine the
// cache starts ends by Close.
//
// The package is named client after its directory, as Go package names
// are, rather than coffer: it is imported as
// github.com/coffer-dev/coffer/client and reads as client.New,
// client.Cache and client.Options. It imports no internal package of
// Coffer, nor bbolt or pgx (internal/structure checks it): it is the one
// package user code imports, and works against AWS as well.
package client
