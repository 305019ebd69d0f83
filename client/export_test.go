package client

// Waiters returns how many callers wait for the fetch in flight of secret
// id's current version, so tests can tell when callers have joined it.
func Waiters(c *Cache, id string) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if f := c.flights[key{kind: kindSecret, id: id}]; f != nil {
		return f.waiters
	}
	return 0
}
