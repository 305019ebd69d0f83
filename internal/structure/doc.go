// Package structure holds no code, only tests that enforce the shape of
// the repository, in the spirit of tailscale's pkgdoc_test.go and
// tstest/deptest:
//
//   - every package under internal/ and cmd/ has exactly one package doc
//     comment ("Package name ..." for libraries), in doc.go when there is one;
//   - dependencies point the way DESIGN.md and STYLE.md say: storage knows
//     nothing of Coffer, the domain (secrets, iam, keys) knows nothing of
//     HTTP or the API packages, packages whose doc.go says "nothing from
//     Coffer" import nothing from Coffer, test helpers are imported only by
//     tests and bench/, and only cmd/coffer and test helpers import server;
//   - no non-test file anywhere imports math/rand or math/rand/v2 (crypto/rand
//     for all randomness);
//   - no non-test file under internal/ prints with fmt.Print*, log.Print*,
//     log.Fatal*, log.Panic*, the print builtins, or fmt.Fprint* to
//     os.Stdout or os.Stderr: the server logs through log/slog only.
//
// Each detector is also run on a synthetic bad case, so a detector that
// silently stops finding anything fails its own test.
//
// The tests read the source with go/parser and the import graph with one
// `go list` call; together they take well under a second.
package structure
