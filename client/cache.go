package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
)

// SecretsAPI is the part of the Secrets Manager API the cache calls. A
// *secretsmanager.Client satisfies it.
type SecretsAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
}

// ParametersAPI is the part of the SSM Parameter Store API the cache calls.
// An *ssm.Client satisfies it.
type ParametersAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// Sealer keeps cached values sealed in memory. Seal is called once per
// fetch, Open on every read; key names the cached item (it is stable for
// one item and differs between items), so binding it as additional data
// stops one item's sealed bytes from opening as another's. Open must
// return a new slice, sharing no memory with sealed, and must not modify
// it later: the cache zeroes an item's sealed bytes once it evicts the item
// and no read is opening them. Both methods are called concurrently.
type Sealer interface {
	Seal(key string, plaintext []byte) (sealed []byte, err error)
	Open(key string, sealed []byte) (plaintext []byte, err error)
}

// Options configures a Cache. New fills in the defaults before it calls the
// option functions, so a function sees (and may undo) each default.
type Options struct {
	// Secrets fetches secrets. Default: secretsmanager.NewFromConfig(cfg).
	Secrets SecretsAPI

	// Parameters fetches parameters. Default: ssm.NewFromConfig(cfg).
	Parameters ParametersAPI

	// TTL is how long a fetched value is served from memory. Default 5m.
	// 0 disables caching: every call fetches, though concurrent calls
	// for the same item still share one fetch.
	TTL time.Duration

	// MaxItems bounds the number of cached items; when it is reached the
	// least recently used item is evicted. Default 1024; 0 means no bound.
	MaxItems int

	// RefreshAhead, a fraction of TTL in [0, 1), starts one background
	// refresh when a hit finds less than RefreshAhead*TTL left before
	// expiry; hits keep being served from memory meanwhile. Default 0
	// (off): an expired item is fetched by the caller that finds it.
	RefreshAhead float64

	// VersionCheck makes an expired secret first be checked with
	// DescribeSecret (which returns no value): if its stage still points
	// at the cached version, the cached value is kept for another TTL
	// without calling GetSecretValue, as AWS's caching clients do. It
	// needs secretsmanager:DescribeSecret. Default false. Parameters and
	// secrets asked for by version ID are never version-checked.
	VersionCheck bool

	// StaleIfError is how long past expiry a cached value may still be
	// served when refreshing it fails with anything but a client fault
	// (a network error, a server error, throttling); a refused or missing
	// secret is never served stale. While serving stale, fetches are
	// retried with exponential backoff from one second, not on every
	// call. Default 0: no stale values.
	StaleIfError time.Duration

	// Sealer, if set, keeps every cached value sealed; each read opens it,
	// so hits then allocate. Default nil: values are kept in the clear.
	Sealer Sealer

	// Clock returns the current time, for tests. Default time.Now.
	Clock func() time.Time

	// FollowChanges follows the Coffer server's change feed (a long poll
	// that needs secretsmanager:ListSecrets) and drops a cached secret as
	// soon as it is written, so a rotated secret is fetched anew within a
	// second instead of when its TTL ends. Coffer only; default false.
	FollowChanges bool
}

// Errors returned by the Cache, besides the SDK's own (wrapped with %w, so
// errors.As finds *types.ResourceNotFoundException and friends).
var (
	// ErrClosed is returned for a miss once Close has been called.
	ErrClosed = errors.New("client: cache closed")
	// ErrFieldNotFound is returned by GetSecretJSONField for a field the
	// secret's JSON object does not have.
	ErrFieldNotFound = errors.New("field not found")
	// ErrNotJSON is returned by GetSecretJSONField for a secret that is
	// not a JSON object.
	ErrNotJSON = errors.New("secret is not a JSON object")
)

const (
	defaultTTL      = 5 * time.Minute
	defaultMaxItems = 1024
	// backgroundTimeout bounds a refresh-ahead fetch, which has no caller
	// whose context could end it.
	backgroundTimeout = time.Minute
	retryBase         = time.Second
)

// Cache is an in-memory, read-through cache of secrets and parameters. Its
// methods are safe for concurrent use. Close it to stop background
// refreshes.
type Cache struct {
	hits, misses, stale atomic.Uint64 // see Stats

	opts       Options
	now        func() time.Time
	secrets    SecretsAPI
	parameters ParametersAPI

	ctx    context.Context // lifetime of fetches; canceled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // fetch goroutines

	mu      sync.RWMutex
	entries map[key]*entry
	flights map[key]*flight
	seq     uint64 // numbers fetches in the order they start
	closed  bool
}

// New returns a cache that fetches through clients built from cfg, unless
// the option functions supply their own. It refuses invalid options with an
// error naming the field.
func New(cfg aws.Config, optFns ...func(*Options)) (*Cache, error) {
	o := Options{TTL: defaultTTL, MaxItems: defaultMaxItems, Clock: time.Now}
	for _, fn := range optFns {
		fn(&o)
	}
	switch {
	case o.TTL < 0:
		return nil, fmt.Errorf("client: TTL %v is negative", o.TTL)
	case o.MaxItems < 0:
		return nil, fmt.Errorf("client: MaxItems %d is negative", o.MaxItems)
	case o.RefreshAhead < 0 || o.RefreshAhead >= 1:
		return nil, fmt.Errorf("client: RefreshAhead %v is outside [0, 1)", o.RefreshAhead)
	case o.StaleIfError < 0:
		return nil, fmt.Errorf("client: StaleIfError %v is negative", o.StaleIfError)
	}
	if o.Secrets == nil {
		o.Secrets = secretsmanager.NewFromConfig(cfg)
	}
	if o.Parameters == nil {
		o.Parameters = ssm.NewFromConfig(cfg)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	var w *Watcher
	if o.FollowChanges {
		var err error
		if w, err = NewWatcher(cfg); err != nil {
			return nil, fmt.Errorf("client: FollowChanges: %w", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Cache{
		opts: o, now: o.Clock, secrets: o.Secrets, parameters: o.Parameters,
		ctx: ctx, cancel: cancel,
		entries: make(map[key]*entry),
		flights: make(map[key]*flight),
	}
	if w != nil {
		c.wg.Add(1)
		go c.follow(w)
	}
	return c, nil
}

// Close cancels fetches in flight and waits for them to end. Afterwards
// cached values are still served, but misses return ErrClosed.
func (c *Cache) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	return nil
}

// Invalidate drops every cached item for the secret or parameter id (all
// stages and versions of a secret, and a parameter of that name), so the
// next call fetches it.
func (c *Cache) Invalidate(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked(func(k key) bool { return k.id == id })
}

// dropLocked drops the entries whose keys match, and disowns the fetches in
// flight for them: their callers still get what they fetch, but it is not
// cached, since it may predate the change that made the caller drop it.
func (c *Cache) dropLocked(match func(key) bool) {
	for k, e := range c.entries {
		if match(k) {
			delete(c.entries, k)
			e.it.Load().retire()
		}
	}
	for k, f := range c.flights {
		if match(k) {
			f.disowned = true
			delete(c.flights, k)
		}
	}
}

// kind tells secrets from parameters in a key.
type kind uint8

const (
	kindSecret kind = iota + 1
	kindParameter
)

// key identifies one cached item. It is a comparable struct of strings, so
// a lookup builds nothing on the heap.
type key struct {
	kind      kind
	id        string // secret id or parameter name
	stage     string // secrets: staging label; "" with versionID "" means AWSCURRENT
	versionID string // secrets: version ID
	decrypt   bool   // parameters: WithDecryption
}

// String names the key for a Sealer; it is built on fetches only.
func (k key) String() string {
	switch k.kind {
	case kindSecret:
		return fmt.Sprintf("secret:%s?stage=%s&version=%s", k.id, k.stage, k.versionID)
	default:
		return fmt.Sprintf("parameter:%s?decrypt=%t", k.id, k.decrypt)
	}
}

// entry is one item's slot in the cache. The item it points to is
// immutable once published; a refresh publishes a new one.
type entry struct {
	it      atomic.Pointer[item]
	lastUse atomic.Int64 // Clock, in Unix nanoseconds; for LRU eviction

	// Guarded by Cache.mu: backoff while serving stale values.
	failures int
	retryAt  time.Time
}

// flight is one fetch in progress, shared by every caller of its key.
type flight struct {
	done chan struct{} // closed when it and err are set
	it   *item
	err  error

	k          key
	seq        uint64
	background bool               // refresh-ahead: not ended by waiters leaving
	disowned   bool               // guarded by Cache.mu: do not cache the result
	waiters    int                // guarded by Cache.mu
	cancel     context.CancelFunc // ends the fetch
}

// get returns the item for k, from memory if it is fresh. The hit path
// takes a read lock, two atomic loads and a store, and allocates nothing.
func (c *Cache) get(ctx context.Context, k key) (*item, error) {
	now := c.now()
	c.mu.RLock()
	e := c.entries[k]
	c.mu.RUnlock()
	if e != nil {
		if it := e.it.Load(); it != nil && now.Before(it.expires) {
			e.lastUse.Store(now.UnixNano())
			if !it.refreshAt.IsZero() && !now.Before(it.refreshAt) && it.refreshing.CompareAndSwap(false, true) {
				c.start(context.Background(), k, it, false, true)
			}
			c.hits.Add(1)
			return it, nil
		}
	}
	return c.load(ctx, k, e, now, false)
}

// load fetches k because it is missing, expired, or force is set, falling
// back to a stale value as Options.StaleIfError allows.
func (c *Cache) load(ctx context.Context, k key, e *entry, now time.Time, force bool) (*item, error) {
	var old *item
	if e != nil {
		old = e.it.Load()
	}
	staleOK := old != nil && c.opts.StaleIfError > 0 && now.Before(old.expires.Add(c.opts.StaleIfError))
	if staleOK && !force {
		c.mu.RLock()
		retryAt := e.retryAt
		c.mu.RUnlock()
		if now.Before(retryAt) {
			c.stale.Add(1)
			return old, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.misses.Add(1)
	it, err := c.wait(ctx, c.start(ctx, k, old, force, false))
	if err != nil && staleOK && !force && ctx.Err() == nil && !isClientFault(err) {
		c.stale.Add(1)
		return old, nil
	}
	return it, err
}

// CacheStats counts what a Cache has served since it was made.
type CacheStats struct {
	Hits   uint64 // served from memory while fresh
	Misses uint64 // went to the service (missing, expired, refreshNow), sharing a fetch in flight or not
	Stale  uint64 // served past expiry because the service failed (Options.StaleIfError)
}

// Stats returns the counts so far.
func (c *Cache) Stats() CacheStats {
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Stale: c.stale.Load()}
}

// start joins the fetch in flight for k, or starts one; force always starts
// a new one, so that it sees writes made before the call. It returns nil
// for a background start that found a fetch in flight.
func (c *Cache) start(ctx context.Context, k key, old *item, force, background bool) *flight {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		f := &flight{done: make(chan struct{}), err: ErrClosed, k: k, waiters: 1, cancel: func() {}}
		close(f.done)
		return f
	}
	if f := c.flights[k]; f != nil && !force {
		if background {
			return nil
		}
		f.waiters++
		return f
	}
	c.seq++
	f := &flight{done: make(chan struct{}), k: k, seq: c.seq, background: background}
	var fctx context.Context
	if background {
		fctx, f.cancel = context.WithTimeout(c.ctx, backgroundTimeout)
	} else {
		// The fetch outlives the caller that started it if others wait
		// for it; it keeps the caller's values but not its cancellation,
		// and ends when the cache closes or its last waiter leaves.
		fctx, f.cancel = context.WithCancel(context.WithoutCancel(ctx))
		stop := context.AfterFunc(c.ctx, f.cancel)
		cancel := f.cancel
		f.cancel = func() { stop(); cancel() }
		f.waiters = 1
	}
	c.flights[k] = f
	c.wg.Add(1)
	go c.run(fctx, k, old, force, f)
	return f
}

// wait waits for f, or for ctx to end; the last waiter to leave a
// foreground fetch cancels it.
func (c *Cache) wait(ctx context.Context, f *flight) (*item, error) {
	if f == nil {
		return nil, nil
	}
	select {
	case <-f.done:
		return f.it, f.err
	case <-ctx.Done():
		select {
		case <-f.done:
			return f.it, f.err
		default:
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	f.waiters--
	if f.waiters == 0 && !f.background {
		f.cancel()
		if c.flights[f.k] == f {
			delete(c.flights, f.k)
		}
	}
	return nil, ctx.Err()
}

// run fetches k and publishes the result.
func (c *Cache) run(ctx context.Context, k key, old *item, force bool, f *flight) {
	defer c.wg.Done()
	defer f.cancel()
	it, err := c.fetch(ctx, k, old, force)
	now := c.now()
	c.mu.Lock()
	if c.flights[k] == f {
		delete(c.flights, k)
	}
	switch {
	case f.disowned:
	case err == nil:
		it.seq = f.seq
		it.expires = now.Add(c.opts.TTL)
		if c.opts.RefreshAhead > 0 {
			it.refreshAt = it.expires.Add(-time.Duration(c.opts.RefreshAhead * float64(c.opts.TTL)))
		}
		c.storeLocked(k, it, now)
	case ctx.Err() == nil:
		c.failedLocked(k, now)
	}
	c.mu.Unlock()
	f.it, f.err = it, err
	close(f.done)
}

// storeLocked publishes it for k unless a fetch that started later has
// already published, evicting the least recently used item to make room.
func (c *Cache) storeLocked(k key, it *item, now time.Time) {
	if c.opts.TTL == 0 {
		return
	}
	e := c.entries[k]
	if e == nil {
		if c.opts.MaxItems > 0 && len(c.entries) >= c.opts.MaxItems {
			c.evictLocked()
		}
		e = new(entry)
		c.entries[k] = e
	}
	cur := e.it.Load()
	if cur != nil && cur.seq > it.seq {
		return
	}
	e.it.Store(it)
	if cur != it {
		cur.retire()
	}
	e.lastUse.Store(now.UnixNano())
	e.failures, e.retryAt = 0, time.Time{}
}

// failedLocked backs off further fetches of k while its stale value is
// served: 1s, 2s, 4s, ... up to TTL.
func (c *Cache) failedLocked(k key, now time.Time) {
	e := c.entries[k]
	if e == nil || c.opts.StaleIfError == 0 {
		return
	}
	d := retryBase << min(e.failures, 20)
	e.retryAt = now.Add(min(d, max(c.opts.TTL, retryBase)))
	e.failures++
}

// evictLocked drops the least recently used entry. It scans every entry,
// which costs far less than the fetch that needs the room.
func (c *Cache) evictLocked() {
	var (
		victim key
		oldest int64
		found  bool
	)
	for k, e := range c.entries {
		if t := e.lastUse.Load(); !found || t < oldest {
			victim, oldest, found = k, t, true
		}
	}
	if found {
		c.entries[victim].it.Load().retire()
		delete(c.entries, victim)
	}
}

// isClientFault reports whether err is the service refusing the request
// (not found, access denied, invalid), as opposed to failing to serve it.
// Throttling comes back as a 400 but is a failure to serve.
func isClientFault(err error) bool {
	if ae, ok := errors.AsType[smithy.APIError](err); ok {
		switch ae.ErrorCode() {
		case "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded":
			return false
		}
		if ae.ErrorFault() == smithy.FaultClient {
			return true
		}
	}
	if re, ok := errors.AsType[interface {
		error
		HTTPStatusCode() int
	}](err); ok {
		s := re.HTTPStatusCode()
		return s >= 400 && s < 500 && s != 429
	}
	return false
}
