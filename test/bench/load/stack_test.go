package load

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/esbtui/esbtui/internal/testutil"
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
	s := &stack{home: filepath.Join(dir, "home")}
	if s.bin, err = testutil.BuildESBTUI(dir); err != nil {
		return nil, err
	}
	image, err := testutil.RegistryImage(os.Getenv("ESB_REGISTRY_IMAGE"))
	if err != nil {
		return nil, err
	}
	port, err := testutil.FreePortPair(nil)
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
