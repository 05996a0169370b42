// Package nodeproc runs dost as real operating-system processes, for the
// tests and benchmarks that need more than one node, or a node that dies:
// the multi-node tests, the crash harness and `dost bench load`.
//
// A Node is one `dost serve` (or `dost worker`) process. Start waits until
// it prints its address and answers /readyz; Kill sends SIGKILL (no
// shutdown of any kind: the crash a power cut or the OOM killer makes);
// Stop sends SIGTERM and waits for the graceful drain; Restart starts the
// same command again on the same address. The node's stdout and stderr are
// kept in files beside it so a failing test can show them.
package nodeproc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Build compiles ./cmd/dost of the module that holds this package into
// dir and returns the binary's path. It runs `go build`, so it needs the
// go command (tests and `make`; a released dost uses its own executable,
// see Executable).
func Build(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "dost")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/dost")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/dost: %w\n%s", err, out)
	}
	return bin, nil
}

var (
	sharedOnce sync.Once
	sharedBin  string
	sharedErr  error
)

// SharedBinary builds dost once per process into a temporary directory
// and returns its path; every caller of the process gets the same binary.
// The directory is left for the operating system's temporary-file
// cleaning (a test binary has no "after all tests" hook besides TestMain;
// call RemoveShared from there to remove it).
func SharedBinary(ctx context.Context) (string, error) {
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dost-nodeproc-")
		if err != nil {
			sharedErr = err
			return
		}
		sharedBin, sharedErr = Build(ctx, dir)
	})
	return sharedBin, sharedErr
}

// RemoveShared removes SharedBinary's directory, if it was built.
func RemoveShared() {
	if sharedBin != "" {
		os.RemoveAll(filepath.Dir(sharedBin))
	}
}

// Executable is the running program's own path, for `dost bench load`,
// which starts nodes of itself.
func Executable() (string, error) { return os.Executable() }

func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("nodeproc: not inside dost's module (go env GOMOD is empty)")
	}
	return filepath.Dir(mod), nil
}

// Run runs one dost command to its end (e.g. "migrate", "--database",
// dsn) and returns its combined output; a failure's error carries it.
func Run(ctx context.Context, bin string, args ...string) ([]byte, error) {
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("dost %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return out, nil
}

// Options say how to start a node.
type Options struct {
	// Bin is the dost binary (Build, SharedBinary or Executable).
	Bin string
	// Args are the arguments, e.g. {"serve", "--database", dsn}. Without
	// an --addr among them, Start adds "--addr 127.0.0.1:0" and reads the
	// address the node prints; Restart reuses that address.
	Args []string
	// Env is added to the process's environment (os.Environ()).
	Env []string
	// Dir is where the node's output files go (stdout.log, stderr.log,
	// one pair per start: stdout-2.log after the first restart …);
	// default a new temporary directory.
	Dir string
	// Ready bounds the wait for the node to listen and answer /readyz;
	// default 60 s (a node on an empty database migrates it first).
	Ready time.Duration
	// Name labels the node in errors (default "node").
	Name string
}

// Node is one running dost process.
type Node struct {
	opts Options
	// URL is the node's base URL, e.g. "http://127.0.0.1:41233"; empty for
	// a worker, which serves no HTTP.
	URL  string
	addr string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	starts  int
}

var runningRE = regexp.MustCompile(`dost is running on (http://\S+)`)

// Start starts the node and waits until it is ready: for `serve`, until
// it printed "dost is running on URL" and GET URL/readyz answered 200;
// for `worker`, until it printed "dost worker is running".
func Start(ctx context.Context, opts Options) (*Node, error) {
	if opts.Ready == 0 {
		opts.Ready = 60 * time.Second
	}
	if opts.Name == "" {
		opts.Name = "node"
	}
	if opts.Dir == "" {
		dir, err := os.MkdirTemp("", "dost-node-")
		if err != nil {
			return nil, err
		}
		opts.Dir = dir
	}
	n := &Node{opts: opts}
	if !hasFlag(opts.Args, "addr") && !n.worker() {
		n.addr = "127.0.0.1:0"
	}
	if err := n.start(ctx); err != nil {
		return nil, err
	}
	return n, nil
}

func (n *Node) worker() bool { return len(n.opts.Args) > 0 && n.opts.Args[0] == "worker" }

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		a = strings.TrimLeft(a, "-")
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

func (n *Node) start(ctx context.Context) error {
	n.mu.Lock()
	n.starts++
	suffix := ""
	if n.starts > 1 {
		suffix = fmt.Sprintf("-%d", n.starts)
	}
	n.mu.Unlock()
	args := append([]string(nil), n.opts.Args...)
	if n.addr != "" {
		args = append(args, "--addr", n.addr)
	}
	// Not CommandContext: the node outlives the context of the call that
	// started it; Kill and Stop end it.
	cmd := exec.Command(n.opts.Bin, args...)
	cmd.Env = append(os.Environ(), n.opts.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	errFile, err := os.Create(filepath.Join(n.opts.Dir, "stderr"+suffix+".log"))
	if err != nil {
		return err
	}
	outFile, err := os.Create(filepath.Join(n.opts.Dir, "stdout"+suffix+".log"))
	if err != nil {
		errFile.Close()
		return err
	}
	cmd.Stderr = errFile
	pr, pw := io.Pipe()
	cmd.Stdout = io.MultiWriter(outFile, pw)
	if err := cmd.Start(); err != nil {
		errFile.Close()
		outFile.Close()
		return fmt.Errorf("%s: start: %w", n.opts.Name, err)
	}
	done := make(chan struct{})
	n.mu.Lock()
	n.cmd, n.done, n.waitErr = cmd, done, nil
	n.mu.Unlock()
	go func() {
		err := cmd.Wait()
		pw.Close()
		errFile.Close()
		outFile.Close()
		n.mu.Lock()
		n.waitErr = err
		n.mu.Unlock()
		close(done)
	}()

	want := "dost worker is running"
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if sent {
				continue
			}
			if m := runningRE.FindStringSubmatch(line); m != nil {
				urls <- m[1]
				sent = true
			} else if n.worker() && strings.Contains(line, want) {
				urls <- ""
				sent = true
			}
		}
		io.Copy(io.Discard, pr)
	}()

	ctx, cancel := context.WithTimeout(ctx, n.opts.Ready)
	defer cancel()
	select {
	case u := <-urls:
		if u != "" {
			n.URL = u
			n.addr = strings.TrimPrefix(u, "http://")
		}
	case <-done:
		return fmt.Errorf("%s exited before it was ready (%v); stderr:\n%s", n.opts.Name, n.Err(), n.Tail(4000))
	case <-ctx.Done():
		n.Kill()
		return fmt.Errorf("%s not ready after %s; stderr:\n%s", n.opts.Name, n.opts.Ready, n.Tail(4000))
	}
	if n.URL == "" {
		return nil
	}
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", n.URL+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-done:
			return fmt.Errorf("%s exited before /readyz answered (%v); stderr:\n%s", n.opts.Name, n.Err(), n.Tail(4000))
		case <-ctx.Done():
			n.Kill()
			return fmt.Errorf("%s: /readyz not 200 after %s (last error %v)", n.opts.Name, n.opts.Ready, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Addr is the node's listening address, host:port.
func (n *Node) Addr() string { return n.addr }

// Dir is where the node's output files are.
func (n *Node) Dir() string { return n.opts.Dir }

// PID is the current process's id (0 before the first start).
func (n *Node) PID() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil || n.cmd.Process == nil {
		return 0
	}
	return n.cmd.Process.Pid
}

// Running reports whether the current process has not exited.
func (n *Node) Running() bool {
	n.mu.Lock()
	done := n.done
	n.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Err is how the last process ended (nil while it runs or after exit 0).
func (n *Node) Err() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.waitErr
}

// Kill sends SIGKILL to the node's process group and waits for it to be
// gone. Killing a node that is not running does nothing.
func (n *Node) Kill() {
	n.signal(syscall.SIGKILL)
	n.wait(10 * time.Second)
}

// Stop sends SIGTERM and waits up to timeout for the graceful shutdown;
// past it, the node is killed. It returns the process's exit error, if
// any (nil for a clean exit).
func (n *Node) Stop(timeout time.Duration) error {
	n.signal(syscall.SIGTERM)
	if !n.wait(timeout) {
		n.Kill()
		return fmt.Errorf("%s did not stop within %s; killed", n.opts.Name, timeout)
	}
	return n.Err()
}

// Restart starts the same command again, on the same address. The node
// must have exited (Kill or Stop first).
func (n *Node) Restart(ctx context.Context) error {
	if n.Running() {
		return fmt.Errorf("%s is still running", n.opts.Name)
	}
	return n.start(ctx)
}

func (n *Node) signal(sig syscall.Signal) {
	n.mu.Lock()
	cmd := n.cmd
	n.mu.Unlock()
	if cmd == nil || cmd.Process == nil || !n.Running() {
		return
	}
	syscall.Kill(-cmd.Process.Pid, sig) // the group: the node and anything it started
}

func (n *Node) wait(timeout time.Duration) bool {
	n.mu.Lock()
	done := n.done
	n.mu.Unlock()
	if done == nil {
		return true
	}
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// Tail returns up to max bytes of the end of the current start's stderr.
func (n *Node) Tail(max int) string {
	n.mu.Lock()
	suffix := ""
	if n.starts > 1 {
		suffix = fmt.Sprintf("-%d", n.starts)
	}
	n.mu.Unlock()
	b, err := os.ReadFile(filepath.Join(n.opts.Dir, "stderr"+suffix+".log"))
	if err != nil {
		return ""
	}
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// LoadAverage returns the machine's 1-, 5- and 15-minute load averages
// (/proc/loadavg's first three numbers), or "?", for the logs of
// measurements: a number taken on a busy machine is an upper bound.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
