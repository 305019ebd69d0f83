//go:build !linux

package audit

// datasync makes f's data durable; fsync(2) where fdatasync is not used.
// inline is Linux's (see sync_linux.go).
func datasync(f File, inline bool) error { return f.Sync() }
