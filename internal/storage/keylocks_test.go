package storage

import (
	"sync"
	"testing"
)

func TestKeyLocksSerializeOneKey(t *testing.T) {
	var locks KeyLocks
	var mu sync.Mutex // checks the invariant: never two holders of "a" at once
	holders := 0
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			unlock := locks.Lock("a")
			mu.Lock()
			holders++
			if holders != 1 {
				t.Errorf("%d holders of one key's lock", holders)
			}
			mu.Unlock()
			mu.Lock()
			holders--
			mu.Unlock()
			unlock()
		})
	}
	wg.Wait()
}
