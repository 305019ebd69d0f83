//go:build unix

package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Superuser is the name of the server's superuser.
const Superuser = "postgres"

const (
	readyTimeout = 30 * time.Second // from exec to accepting logins
	stopTimeout  = 15 * time.Second // from SIGINT (fast shutdown) to SIGKILL
	portAttempts = 5                // a free port can be taken before postgres binds it
)

// Server is a PostgreSQL server running in a temp dir.
type Server struct {
	Host      string // 127.0.0.1
	Port      int
	SocketDir string // the unix socket's directory; pgx takes it as a host
	User      string // the superuser, Superuser
	Password  string // the superuser's password, random per server
	BinDir    string // where initdb and postgres came from

	dir     string // removed by Stop; holds data/, the socket and postgres.log
	cred    *syscall.Credential
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has been waited for
	waitErr error         // cmd.Wait's error, set before exited closes

	stopOnce sync.Once
	stopErr  error
}

// newServer runs initdb in a fresh temp dir and starts postgres on a free
// port; on error nothing is left behind.
func newServer(ctx context.Context) (_ *Server, err error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	cred, err := serverUser()
	if err != nil {
		return nil, err
	}
	// A short dir of our own in TMPDIR, not t.TempDir(): a unix socket's
	// path is capped near 100 bytes, and as root the postgres user must be
	// able to reach it (t.TempDir's parents are 0700 root).
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("pgtest: give %s to the postgres user: %w", dir, err)
		}
	}
	s := &Server{
		Host: "127.0.0.1", SocketDir: dir, User: Superuser, Password: rand.Text(), BinDir: bin,
		dir: dir, cred: cred,
	}
	if err := s.initdb(ctx); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		err := s.start(ctx)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errPortInUse) || attempt == portAttempts {
			return nil, err
		}
	}
}

// serverUser returns the credential to run initdb and postgres with: nil
// (ourselves) unless we are root, which initdb refuses; then the postgres
// OS user, which every PostgreSQL package creates.
func serverUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root, and initdb refuses root, but there is no postgres OS user to run it as: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgtest: postgres uid %q: %w", u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgtest: postgres gid %q: %w", u.Gid, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// command prepares one of the PostgreSQL binaries to run as the server's
// user, in its dir, with an environment free of PG* variables.
func (s *Server) command(ctx context.Context, server bool, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(s.BinDir, name), args...)
	cmd.Dir = s.dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "TZ=UTC"}
	cmd.SysProcAttr = sysProcAttr(s.cred, server)
	return cmd
}

// writeFile writes a file in the server's dir that the server's user owns.
func (s *Server) writeFile(name string, data []byte) (string, error) {
	path := filepath.Join(s.dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", err
	}
	if s.cred != nil {
		if err := os.Chown(path, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			return "", err
		}
	}
	return path, nil
}

func (s *Server) initdb(ctx context.Context) error {
	pwfile, err := s.writeFile("pwfile", []byte(s.Password+"\n"))
	if err != nil {
		return fmt.Errorf("pgtest: write the superuser's password file: %w", err)
	}
	defer os.Remove(pwfile)
	cmd := s.command(ctx, false, "initdb",
		"--pgdata", filepath.Join(s.dir, "data"),
		"--username", s.User, "--pwfile", pwfile,
		"--auth", "scram-sha-256", // every login, even on the socket, needs the password
		"--encoding", "UTF8", "--locale", "C",
		"--no-sync", "--no-instructions")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: %s: %w\n%s", cmd, err, out)
	}
	return nil
}

// errPortInUse says postgres could not bind the port it was given.
var errPortInUse = errors.New("port in use")

// start runs postgres on a free port and waits until it accepts logins.
func (s *Server) start(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return fmt.Errorf("pgtest: find a free port: %w", err)
	}
	s.Port = port
	logPath := filepath.Join(s.dir, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer logFile.Close() // the child has its own copy
	// Not CommandContext's ctx: the server outlives the call that starts it.
	cmd := s.command(context.WithoutCancel(ctx), true, "postgres",
		"-D", filepath.Join(s.dir, "data"),
		"-h", s.Host, "-p", strconv.Itoa(port), "-k", s.SocketDir,
		"-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off",
		"-c", "shared_buffers=16MB", "-c", "max_connections=60")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start %s: %w", cmd.Path, err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func() { s.waitErr = cmd.Wait(); close(s.exited) }()

	if err := s.waitReady(ctx); err != nil {
		s.kill()
		log, _ := os.ReadFile(logPath)
		if bytes.Contains(log, []byte("could not bind")) || bytes.Contains(log, []byte("already in use")) {
			return fmt.Errorf("pgtest: port %d: %w", port, errPortInUse)
		}
		return fmt.Errorf("pgtest: postgres did not come up: %w\n%s", err, tail(log, 4000))
	}
	return nil
}

// waitReady polls a superuser login until it works, postgres exits, or
// readyTimeout passes.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		conn, err := pgx.Connect(ctx, s.DSN("postgres"))
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-s.exited:
			return fmt.Errorf("postgres exited: %v", s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("%w (last login attempt: %v)", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// kill stops postgres at once and waits for it.
func (s *Server) kill() {
	s.cmd.Process.Kill()
	<-s.exited
}

// Stop shuts the server down (fast shutdown: open sessions are ended) and
// removes its dir. Calling it again returns the first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		select {
		case <-s.exited:
			errs = append(errs, fmt.Errorf("pgtest: postgres exited before Stop: %v\n%s", s.waitErr, tail(s.log(), 4000)))
		default:
			if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
				errs = append(errs, fmt.Errorf("pgtest: signal postgres: %w", err))
			}
			select {
			case <-s.exited:
				if s.waitErr != nil {
					errs = append(errs, fmt.Errorf("pgtest: postgres shutdown: %v\n%s", s.waitErr, tail(s.log(), 4000)))
				}
			case <-time.After(stopTimeout):
				s.kill()
				errs = append(errs, fmt.Errorf("pgtest: postgres did not shut down within %v; killed", stopTimeout))
			}
		}
		if err := os.RemoveAll(s.dir); err != nil {
			errs = append(errs, fmt.Errorf("pgtest: %w", err))
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// DSN returns a URL that logs the superuser into database over TCP.
func (s *Server) DSN(database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(s.User, s.Password),
		Host:     net.JoinHostPort(s.Host, strconv.Itoa(s.Port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

func (s *Server) log() []byte {
	data, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
	return data
}

// tail returns at most the last n bytes of b.
func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
