// Command trivial is the baseline the benchmarks in bench/ divide by: a
// plain net/http server that answers every request with a fixed JSON 1.1
// body. The benchmark captures Coffer's own GetSecretValue and
// PutSecretValue responses and passes them in, so the baseline sends the
// same bytes and headers over the same loopback, and does nothing else:
// no authentication, no storage, no encryption.
//
// It prints "trivial handler serving at URL" on stdout once it listens.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "trivial:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("trivial", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	getFile := fs.String("body", "", "file holding the response body for every target but PutSecretValue (required)")
	putFile := fs.String("put-body", "", "file holding the response body for secretsmanager.PutSecretValue (default: -body)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *getFile == "" {
		return fmt.Errorf("-body is required")
	}
	get, err := os.ReadFile(*getFile)
	if err != nil {
		return err
	}
	put := get
	if *putFile != "" {
		if put, err = os.ReadFile(*putFile); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Printf("trivial handler serving at http://%s\n", ln.Addr())
	return http.Serve(ln, handler(get, put))
}

// handler drains the request body, as any real handler must, and writes
// the body for the request's X-Amz-Target with the headers Coffer sends.
func handler(get, put []byte) http.Handler {
	getLen, putLen := strconv.Itoa(len(get)), strconv.Itoa(len(put))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		body, n := get, getLen
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".PutSecretValue") {
			body, n = put, putLen
		}
		h := w.Header()
		// Same length as Coffer's random request ids.
		h.Set("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")
		h.Set("Content-Type", "application/x-amz-json-1.1")
		h.Set("Content-Length", n)
		w.Write(body)
	})
}
