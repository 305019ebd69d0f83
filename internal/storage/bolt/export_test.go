package bolt

// Commits returns how many bbolt transactions b has committed.
func Commits(b *Backend) uint64 { return b.commits.Load() }
