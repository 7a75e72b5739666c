package load

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// stack is a private esbtui stack (own ESB_HOME, project name and ports)
// brought up once for the whole benchmark run and taken down with its
// volumes by TestMain.
type stack struct {
	bin, home string
	env       []string
	addr      string // localhost:PORT
	metrics   string // the registry's Prometheus endpoint (debug port PORT+1)
	caFile    string
}

var (
	stackOnce sync.Once
	theStack  *stack
	stackErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if theStack != nil {
		theStack.down()
	}
	os.Exit(code)
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// getStack builds esbtui, runs `init --skip-trust` and `up` on a private
// project, once.
func getStack(b *testing.B) *stack {
	stackOnce.Do(func() { theStack, stackErr = upStack() })
	if stackErr != nil {
		b.Fatal(stackErr)
	}
	return theStack
}

func upStack() (*stack, error) {
	dir, err := os.MkdirTemp("", "esbtui-load-")
	if err != nil {
		return nil, err
	}
	s := &stack{bin: filepath.Join(dir, "esbtui"), home: filepath.Join(dir, "home")}
	build := exec.Command("go", "build", "-o", s.bin, "./cmd/esbtui")
	build.Dir = repoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/esbtui: %v\n%s", err, out)
	}
	image := os.Getenv("ESB_REGISTRY_IMAGE")
	if image == "" {
		out, err := exec.Command(filepath.Join(repoRoot(), "test", "fixtures", "build")).Output()
		if err != nil {
			return nil, fmt.Errorf("test/fixtures/build: %v", err)
		}
		image = strings.TrimSpace(string(out))
	}
	port, err := freePorts()
	if err != nil {
		return nil, err
	}
	suffix := make([]byte, 4)
	rand.Read(suffix)
	s.addr = fmt.Sprintf("localhost:%d", port)
	s.metrics = fmt.Sprintf("http://127.0.0.1:%d/metrics", port+1)
	s.caFile = filepath.Join(s.home, "certs", "rootCA.crt")
	s.env = append(os.Environ(), "ESB_HOME="+s.home, "ESB_PROJECT=esbload-"+hex.EncodeToString(suffix),
		fmt.Sprintf("ESB_REGISTRY_PORT=%d", port), "ESB_REGISTRY_IMAGE="+image, "NO_COLOR=1")
	for _, args := range [][]string{{"init", "--skip-trust", "--no-tui"}, {"up", "--no-tui"}} {
		if err := s.run(args...); err != nil {
			s.down()
			return nil, err
		}
	}
	return s, nil
}

func (s *stack) run(args ...string) error {
	cmd := exec.Command(s.bin, args...)
	cmd.Env = s.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("esbtui %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return nil
}

func (s *stack) down() {
	if err := s.run("down", "--volumes", "--yes", "--no-tui"); err != nil {
		fmt.Fprintln(os.Stderr, "load: cleanup:", err)
	}
	os.RemoveAll(filepath.Dir(s.bin))
}

// freePorts returns a loopback port p with p+1 free too (the stack
// publishes the registry on p and its debug port on p+1).
func freePorts() (int, error) {
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		p := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if p >= 65535 {
			continue
		}
		ln2, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+1))
		if err != nil {
			continue
		}
		ln2.Close()
		return p, nil
	}
	return 0, fmt.Errorf("no two consecutive free loopback ports")
}
