package client

import "bytes"

// CachedInClear reports whether any item cached by c holds its value in
// the clear, or sealed bytes that contain needle.
func CachedInClear(c *Cache, needle []byte) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, e := range c.entries {
		it := e.it.Load()
		if it == nil {
			continue
		}
		if it.str != "" || it.bin != nil || it.d != nil || it.sealed == nil || bytes.Contains(it.sealed.b, needle) {
			return true
		}
	}
	return false
}
