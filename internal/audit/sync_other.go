//go:build !linux

package audit

// datasync makes f's data durable; fsync(2) where fdatasync is not used.
func datasync(f File) error { return f.Sync() }
