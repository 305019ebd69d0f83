package storage

import "sync"

// KeyLocks serializes writers of the same storage key in this process, so
// that concurrent read-modify-writes of one record queue instead of
// spinning on revision conflicts (another process sharing the store is
// still caught by the Txn's revision condition). Striped: distinct keys
// may share a lock, which costs concurrency, never correctness. The zero
// value is ready to use.
type KeyLocks [256]sync.Mutex

// Lock locks key's stripe and returns its unlock.
func (k *KeyLocks) Lock(key string) (unlock func()) {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * 16777619
	}
	m := &k[h%uint32(len(k))]
	m.Lock()
	return m.Unlock
}
