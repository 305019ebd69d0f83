// Package atomicfile writes small files so that a reader, or the file system
// after a crash, sees either the old content or the new, never a mix.
//
// It owns one idea: temp file in the same directory → write → fsync → close →
// rename (or link) → fsync the directory. The directory fsync is what makes
// the rename itself durable; "write, rename, done" is not enough.
//
// It imports only the standard library and nothing from Coffer.
//
// Invariants:
//   - The temp file is created with the final permissions, so the content is
//     never readable more widely than perm, and it is removed on every
//     failure before the rename.
//   - The final file has mode perm exactly (the umask is not applied).
//   - WriteNewFile never replaces an existing file.
package atomicfile
