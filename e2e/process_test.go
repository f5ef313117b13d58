package e2e_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	binDir   string
	buildErr error
	once     sync.Once
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary installs the example programs once and returns the path of name.
func binary(t *testing.T, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the example programs: skipped with -short")
	}
	once.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "tokengate-e2e"); buildErr != nil {
			return
		}
		// go install, as examples/issuer/README.md tells users to install
		// the issuer, into a directory of the test's own.
		cmd := exec.Command("go", "install",
			"../examples/issuer", "../examples/httpapi", "../examples/grpcapi", "../examples/quickstart", "../examples/spa", "../examples/replicas")
		cmd.Env = append(os.Environ(), "GOBIN="+binDir)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go install: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, name)
}

// start runs a program and waits for the line of its output that starts
// with ready, returning the rest of that line. The program is stopped with
// SIGTERM at cleanup and must then exit cleanly.
func start(t *testing.T, name, ready string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary(t, name), args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	done := make(chan struct{})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), ready); ok {
				found <- strings.TrimSpace(rest)
				break
			}
		}
		io.Copy(io.Discard, out)
		waitErr = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
			if waitErr != nil {
				t.Errorf("%s did not stop cleanly on SIGTERM: %v", name, waitErr)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Errorf("%s did not stop within 10s of SIGTERM", name)
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	select {
	case line := <-found:
		return line
	case <-done:
		t.Fatalf("%s exited before it was ready: %v", name, waitErr)
	case <-ctx.Done():
		t.Fatalf("%s did not print %q within 30s", name, ready)
	}
	return ""
}
