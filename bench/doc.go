// Package bench measures Coffer end to end: the real `coffer server`
// binary, real SigV4 and real fsync, driven over loopback, each figure
// beside a trivial net/http handler (bench/cmd/trivial) serving a body of
// the same size, measured in the same run, and beside moto_server when it
// is on the PATH. GetSecretValue also runs against coffer-noaudit, the
// same server with --audit=false, so that the audit log's cost (issue #7)
// is measured beside it: coffer itself runs as shipped, audit log on.
//
// The package holds only benchmarks; `go test ./...` compiles them and
// runs a few fast unit tests of the arithmetic. Run the whole matrix with
// .ci/bench, which docs/benchmarks.md records with its results:
//
//	go test -run '^$' -bench . -benchtime 1x -timeout 30m ./bench
//
// Every server runs as its own process pinned to one CPU (taskset -c 1)
// and the load generator, this test process, pins all its threads to
// another (sched_setaffinity, GOMAXPROCS 1), so server CPU time per
// request comes from the server process's own accounting
// (/proc/PID/stat utime+stime) and the two never compete for a core.
//
// Each cell runs a warm-up and then a fixed window (-warmup, -window), and
// is measured -rounds times, the servers' cells interleaved round by round
// so that each ratio compares figures taken moments apart; the tables give
// medians. On a shared machine -nice keeps most other work off the two
// cores, and the tables show what was left. ns/op on the benchmark line is
// the wall time per request of Coffer's headline cell (raw client,
// concurrency 16): 1/throughput. The full tables print on stdout and, with
// -out, to a file.
//
// bench imports internal/server only from cmd/profserver, which wraps
// the server in a CPU profile; it imports no other Coffer package.
package bench
