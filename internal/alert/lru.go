package alert

import "time"

// lru is a map bounded in size and in idleness: adding to a full one
// forgets the least recently used entry, and expire forgets those not used
// since a time. The rules keep their per-principal state in one each.
// Keys added are kept, so callers clone strings that may share a larger
// buffer. It is not safe for concurrent use (the rule worker owns it).
type lru[K comparable, V any] struct {
	limit int
	items map[K]*lruEntry[K, V]
	// head is the most recently used entry, tail the least; the list is
	// circular through root.
	root lruEntry[K, V]
}

type lruEntry[K comparable, V any] struct {
	key        K
	val        V
	used       time.Time
	prev, next *lruEntry[K, V]
}

func newLRU[K comparable, V any](limit int) *lru[K, V] {
	l := &lru[K, V]{limit: limit, items: make(map[K]*lruEntry[K, V])}
	l.root.prev, l.root.next = &l.root, &l.root
	return l
}

func (l *lru[K, V]) len() int { return len(l.items) }

// get returns the value for key, marking it used at now, or nil.
func (l *lru[K, V]) get(key K, now time.Time) *V {
	e := l.items[key]
	if e == nil {
		return nil
	}
	l.touch(e, now)
	return &e.val
}

// add stores val for key (which must not be present), used at now, and
// returns a pointer to the stored value. A full lru first forgets its
// least recently used entry; add reports whether it did.
func (l *lru[K, V]) add(key K, val V, now time.Time) (v *V, evicted bool) {
	if len(l.items) >= l.limit {
		l.remove(l.root.prev)
		evicted = true
	}
	e := &lruEntry[K, V]{key: key, val: val}
	l.items[key] = e
	l.link(e)
	e.used = now
	return &e.val, evicted
}

// expire forgets the entries last used before t and returns how many.
func (l *lru[K, V]) expire(t time.Time) int {
	n := 0
	for e := l.root.prev; e != &l.root && e.used.Before(t); e = l.root.prev {
		l.remove(e)
		n++
	}
	return n
}

func (l *lru[K, V]) touch(e *lruEntry[K, V], now time.Time) {
	if now.After(e.used) {
		e.used = now
	}
	if l.root.next == e {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	l.link(e)
}

// link puts e at the head.
func (l *lru[K, V]) link(e *lruEntry[K, V]) {
	e.prev, e.next = &l.root, l.root.next
	l.root.next.prev = e
	l.root.next = e
}

func (l *lru[K, V]) remove(e *lruEntry[K, V]) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
	delete(l.items, e.key)
}
