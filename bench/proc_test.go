package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// userHZ is the unit of utime and stime in /proc/PID/stat. Linux fixes it
// at 100 for every architecture's user-visible interfaces.
const userHZ = 100

// buildBinaries builds coffer, the trivial handler and the profiling
// server into dir, from the module this package belongs to.
func buildBinaries(b *testing.B, dir string) {
	b.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		b.Fatalf("go not on PATH: %v", err)
	}
	cmd := exec.Command(goBin, "build", "-o", dir+string(filepath.Separator),
		"github.com/coffer-dev/coffer/cmd/coffer",
		"github.com/coffer-dev/coffer/bench/cmd/trivial",
		"github.com/coffer-dev/coffer/bench/cmd/profserver")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
}

// proc is a server process started by the benchmark.
type proc struct {
	name     string
	graceful bool // exits 0 on SIGTERM after draining, as coffer does
	cmd      *exec.Cmd
	pid      int
	url      string
	stderr   string // path of the file that collects its stderr
	done     chan error
	stopped  bool
}

var urlRE = regexp.MustCompile(`https?://[^\s)]+`)

// startProc runs argv pinned to cpu (no pinning if cpu < 0) and waits for
// it to be ready: if port is 0 it waits for the first URL on stdout (the
// server picks its port), otherwise until 127.0.0.1:port answers HTTP.
// The process is stopped when the benchmark ends.
func startProc(b *testing.B, name string, graceful bool, cpu, port int, argv ...string) *proc {
	b.Helper()
	return startProcEnv(b, name, graceful, cpu, port, nil, argv...)
}

// startProcEnv is startProc with the environment env (nil: this process's).
func startProcEnv(b *testing.B, name string, graceful bool, cpu, port int, env []string, argv ...string) *proc {
	b.Helper()
	if cpu >= 0 {
		argv = append([]string{"taskset", "-c", strconv.Itoa(cpu)}, argv...)
	}
	p := &proc{name: name, graceful: graceful, stderr: filepath.Join(b.TempDir(), name+".stderr"), done: make(chan error, 1)}
	errFile, err := os.Create(p.stderr)
	if err != nil {
		b.Fatal(err)
	}
	defer errFile.Close()
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Env = env
	p.cmd.Stderr = errFile
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		b.Fatalf("start %s: %v", name, err)
	}
	p.pid = p.cmd.Process.Pid
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u := urlRE.FindString(sc.Text()); u != "" {
				select {
				case urls <- u:
				default:
				}
			}
		}
		io.Copy(io.Discard, stdout)
		p.done <- p.cmd.Wait()
	}()
	b.Cleanup(func() { p.stop(b) })

	deadline := time.Now().Add(60 * time.Second)
	if port == 0 {
		select {
		case p.url = <-urls:
		case err := <-p.done:
			p.done <- err
			b.Fatalf("%s exited before listening: %v\n%s", name, err, p.tail())
		case <-time.After(time.Until(deadline)):
			b.Fatalf("%s printed no URL within a minute\n%s", name, p.tail())
		}
	} else {
		p.url = "http://127.0.0.1:" + strconv.Itoa(port)
	}
	for {
		resp, err := http.Get(p.url + "/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s does not answer at %s: %v\n%s", name, p.url, err, p.tail())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", p.pid)); strings.TrimSpace(string(comm)) == "taskset" {
		b.Fatalf("%s: pid %d is still taskset", name, p.pid)
	}
	return p
}

// stop sends SIGTERM and waits; a process that does not stop within 20 s
// is killed. A server that fails its own shutdown fails the benchmark.
func (p *proc) stop(b *testing.B) {
	if p.stopped {
		return
	}
	p.stopped = true
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Process.Signal(syscall.SIGCONT) // in case it is paused
	select {
	case err := <-p.done:
		if err != nil && p.graceful {
			b.Errorf("%s shutdown: %v\n%s", p.name, err, p.tail())
		}
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		b.Errorf("%s did not stop within 20s of SIGTERM; killed", p.name)
	}
}

// pause stops the process (SIGSTOP) while other servers are measured, so
// that even its idle work (moto's Python threads wake up several times a
// second) stays off the shared server core; resume continues it.
func (p *proc) pause()  { p.cmd.Process.Signal(syscall.SIGSTOP) }
func (p *proc) resume() { p.cmd.Process.Signal(syscall.SIGCONT) }

// tail returns the end of the process's stderr, for failure messages.
func (p *proc) tail() string {
	data, _ := os.ReadFile(p.stderr)
	if len(data) > 2000 {
		data = data[len(data)-2000:]
	}
	return string(data)
}

// cpuTime returns the CPU time (user + system) the process and its live
// descendants have used so far, from /proc/PID/stat: descendants too, so
// that a launcher that forks rather than execs cannot hide the server.
func (p *proc) cpuTime() (time.Duration, error) { return treeCPU(p.pid) }

func treeCPU(pid int) (time.Duration, error) {
	total, err := processCPU(pid)
	if err != nil {
		return 0, err
	}
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, t := range tasks {
		children, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		for _, c := range strings.Fields(string(children)) {
			child, _ := strconv.Atoi(c)
			if d, err := treeCPU(child); err == nil {
				total += d
			}
		}
	}
	return total, nil
}

// processCPU is the CPU time of one process, all its threads (live and
// exited) but none of its children.
func processCPU(pid int) (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	ticks, err := parseStatCPU(string(stat))
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// parseStatCPU returns utime+stime, in clock ticks, from the contents of
// /proc/PID/stat. The command name (field 2) may hold spaces and
// parentheses, so fields are counted from the last ')'.
func parseStatCPU(stat string) (int64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("no ')' after the command name")
	}
	// After ')' come field 3 (state) onwards; utime and stime are fields
	// 14 and 15.
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields after the command name, want at least 13", len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return utime + stime, nil
}

// pinSelf moves every thread of this process to cpu and sets GOMAXPROCS
// to 1, so the load generator uses exactly one core whatever launched it.
// runtime.LockOSThread would pin one goroutine's thread only. Affinity is
// per thread on Linux; new threads inherit it from the thread that creates
// them.
func pinSelf(b *testing.B, cpu int) {
	b.Helper()
	var orig, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &orig); err != nil {
		b.Fatalf("sched_getaffinity: %v", err)
	}
	set.Set(cpu)
	if err := eachThread(func(tid int) error { return unix.SchedSetaffinity(tid, &set) }); err != nil {
		b.Fatalf("pin load generator to CPU %d: %v", cpu, err)
	}
	prev := runtime.GOMAXPROCS(1)
	b.Cleanup(func() {
		runtime.GOMAXPROCS(prev)
		eachThread(func(tid int) error { return unix.SchedSetaffinity(tid, &orig) })
	})
}

// prioritize gives every thread of this process the nice value nice; the
// servers started afterwards inherit it. Under autogroup scheduling (the
// default on many kernels) a nice value only ranks threads within their
// session, and the session's group carries the value that counts against
// other sessions, so that is set too. Both are restored when the benchmark
// ends.
func prioritize(b *testing.B, nice int) {
	b.Helper()
	prio, err := unix.Getpriority(unix.PRIO_PROCESS, 0)
	if err != nil {
		b.Fatalf("getpriority: %v", err)
	}
	orig := 20 - prio // the raw syscall returns 20 - nice
	if err := eachThread(func(tid int) error { return unix.Setpriority(unix.PRIO_PROCESS, tid, nice) }); err != nil {
		b.Fatalf("set nice %d: %v", nice, err)
	}
	b.Cleanup(func() {
		eachThread(func(tid int) error { return unix.Setpriority(unix.PRIO_PROCESS, tid, orig) })
	})
	group, err := os.ReadFile("/proc/self/autogroup")
	if err != nil {
		return // no autogroup scheduling
	}
	if err := os.WriteFile("/proc/self/autogroup", []byte(strconv.Itoa(nice)), 0); err != nil {
		b.Fatalf("set autogroup nice %d: %v", nice, err)
	}
	b.Cleanup(func() {
		if _, n, ok := strings.Cut(strings.TrimSpace(string(group)), " nice "); ok {
			os.WriteFile("/proc/self/autogroup", []byte(n), 0)
		}
	})
}

// eachThread calls fn for every thread of this process, including threads
// started while it runs; a thread that has exited meanwhile is skipped.
func eachThread(fn func(tid int) error) error {
	done := map[int]bool{}
	for {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		fresh := false
		for _, t := range tasks {
			tid, _ := strconv.Atoi(t.Name())
			if done[tid] {
				continue
			}
			fresh = true
			done[tid] = true
			if err := fn(tid); err != nil && !errors.Is(err, unix.ESRCH) {
				return err
			}
		}
		if !fresh {
			return nil
		}
	}
}

// coreTime returns how long CPU cpu has been busy (anything but idle and
// iowait: user, nice, system, irq, softirq, steal) and how long it has
// existed, from /proc/stat.
func coreTime(cpu int) (busy, total time.Duration, err error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	prefix := "cpu" + strconv.Itoa(cpu) + " "
	for line := range strings.Lines(string(data)) {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		f := strings.Fields(line)[1:]
		if len(f) < 8 {
			return 0, 0, fmt.Errorf("/proc/stat: short %s line", prefix)
		}
		var v [8]int64
		for i := range v {
			if v[i], err = strconv.ParseInt(f[i], 10, 64); err != nil {
				return 0, 0, fmt.Errorf("/proc/stat: %w", err)
			}
		}
		const tick = time.Second / userHZ
		idle := v[3] + v[4]
		b := v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
		return time.Duration(b) * tick, time.Duration(b+idle) * tick, nil
	}
	return 0, 0, fmt.Errorf("/proc/stat: no %s line", prefix)
}

// runWait returns how long the threads of process pid have been runnable
// but kept off a CPU (the second field of /proc/PID/task/TID/schedstat),
// summed over its live threads: the time other work made it wait.
func runWait(pid int) (time.Duration, error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var total time.Duration
	for _, t := range tasks {
		data, err := os.ReadFile(filepath.Join(dir, t.Name(), "schedstat"))
		if err != nil {
			continue // the thread exited
		}
		f := strings.Fields(string(data))
		if len(f) < 2 {
			return 0, fmt.Errorf("%s/%s/schedstat: %q", dir, t.Name(), data)
		}
		ns, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s/%s/schedstat: %w", dir, t.Name(), err)
		}
		total += time.Duration(ns)
	}
	return total, nil
}

// selfCPU is the load generator's own CPU time so far, without the
// servers, which are its children.
func selfCPU() (time.Duration, error) { return processCPU(os.Getpid()) }

// freePort returns a loopback port that was free a moment ago, for
// servers (moto) that cannot listen on port 0 and report it.
func freePort(b *testing.B) int {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// readCredentials reads the default profile's access key pair from a
// shared-credentials file, as coffer server writes it.
func readCredentials(path string) (id, secret string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	section := ""
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[]")
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section != "default" {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			id = strings.TrimSpace(v)
		case "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	if id == "" || secret == "" {
		return "", "", fmt.Errorf("%s: no default profile with both keys", path)
	}
	return id, secret, nil
}

// fsType names the file system dir lives on, so the report shows that
// fsync went to a disk and not to tmpfs.
func fsType(dir string) string {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return "unknown (" + err.Error() + ")"
	}
	switch st.Type {
	case unix.EXT4_SUPER_MAGIC:
		return "ext4"
	case unix.XFS_SUPER_MAGIC:
		return "xfs"
	case unix.BTRFS_SUPER_MAGIC:
		return "btrfs"
	case unix.TMPFS_MAGIC:
		return "tmpfs (fsync is free here: Put figures are not durable-disk figures)"
	case unix.OVERLAYFS_SUPER_MAGIC:
		return "overlayfs"
	}
	return fmt.Sprintf("0x%x", st.Type)
}

// fsyncProbe times n fdatasync calls after 4 KiB writes to a scratch file
// in dir, and returns their median and 99th percentile: what a durable
// commit costs on this disk right now, whoever else is writing to it.
func fsyncProbe(dir string, n int) (p50, p99 time.Duration, err error) {
	f, err := os.CreateTemp(dir, "fsync-probe-")
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	page := make([]byte, 4096)
	d := make([]time.Duration, 0, n)
	for i := range n {
		if _, err := f.WriteAt(page, int64(i%64)*int64(len(page))); err != nil {
			return 0, 0, err
		}
		t0 := time.Now()
		if err := unix.Fdatasync(int(f.Fd())); err != nil {
			return 0, 0, err
		}
		d = append(d, time.Since(t0))
	}
	return percentile(d, 0.50), percentile(d, 0.99), nil
}

// cpuModel is the first "model name" in /proc/cpuinfo.
func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for line := range bytes.Lines(data) {
		if k, v, ok := strings.Cut(string(line), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// waitCtx is a context for set-up calls.
func waitCtx(b *testing.B) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	b.Cleanup(cancel)
	return ctx
}
