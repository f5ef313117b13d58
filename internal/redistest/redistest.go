// Package redistest starts a real redis-server (the Debian package) for
// tests, on a loopback port with a temporary directory, and stops it when
// the test ends. It is not a mock: the tests of the Redis store run
// against the server their users run.
//
// Without redis-server on PATH the test is skipped with a message, or
// fails when the CI environment variable is set, so that CI cannot pass
// by skipping. .ci/run installs the package when it is missing.
package redistest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// TB is the part of testing.TB the helpers use; this package does not
// import testing, which production packages must not link.
type TB interface {
	Helper()
	Cleanup(func())
	TempDir() string
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Logf(format string, args ...any)
}

// readyTimeout bounds the wait for a server to accept connections; it
// only catches a hang.
const readyTimeout = 30 * time.Second

// Server is a running redis-server.
type Server struct {
	// Addr is its host:port on 127.0.0.1.
	Addr string

	t   TB
	bin string
	dir string

	mu  sync.Mutex // guards cmd
	cmd *exec.Cmd  // nil while stopped
}

// Start starts a redis-server on a free loopback port and stops it when
// the test ends.
func Start(t TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redistest: redis-server is not installed, and CI is set: install the Debian package redis-server (.ci/run does)")
		}
		t.Skipf("redistest: redis-server is not installed (apt-get install -y redis-server); skipping the tests that need a real Redis")
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir()}
	var last error
	for range 5 { // a free port can be taken between choosing it and binding it
		s.Addr, err = freePort()
		if err != nil {
			t.Fatalf("redistest: %v", err)
		}
		if last = s.start(); last == nil {
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatalf("redistest: starting redis-server: %v", last)
	return nil
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// start runs the server and waits for it to say it accepts connections.
// It persists nothing, and it listens on loopback only.
func (s *Server) start() error {
	_, port, _ := net.SplitHostPort(s.Addr)
	cmd := exec.Command(s.bin,
		"--port", port, "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "notice")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return err
	}
	ready := make(chan error, 1)
	go func() {
		ready <- waitReady(out)
		io.Copy(io.Discard, out) // keep the pipe drained while it runs
	}()
	t := time.NewTimer(readyTimeout)
	defer t.Stop()
	select {
	case err = <-ready:
	case <-t.C:
		err = fmt.Errorf("no \"Ready to accept connections\" within %v", readyTimeout)
	}
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return err
	}
	s.mu.Lock()
	s.cmd = cmd
	s.mu.Unlock()
	return nil
}

// waitReady reads the server's log until it is ready, or returns its
// last lines if it exits first (a port already taken, say).
func waitReady(r io.Reader) error {
	sc := bufio.NewScanner(r)
	var tail []string
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "Ready to accept connections") {
			return nil
		}
		tail = append(tail[max(0, len(tail)-4):], line)
	}
	return fmt.Errorf("redis-server exited: %s", strings.Join(tail, " | "))
}

// Stop kills the server, as a crash would, and waits for it to exit. The
// port stays this Server's: Restart starts a new server on it, empty.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	cmd.Wait()
}

// Restart starts a stopped server again on the same address.
func (s *Server) Restart() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("redistest: restarting redis-server on %s: %v", s.Addr, err)
	}
}
