package trust

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/esbtui/esbtui/internal/safefile"
)

const stderrTail = 2048

// run runs one command and returns its stdout. Output is read with LC_ALL=C
// so parsers see untranslated text.
func (c *Config) run(ctx context.Context, argv []string, stdin []byte) ([]byte, error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, &ToolError{Argv: argv, ExitCode: -1, Err: errors.New("no command (tool not installed)")}
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(append(os.Environ(), "LC_ALL=C"), c.Env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	err := cmd.Run()
	if err != nil {
		te := &ToolError{Argv: argv, ExitCode: -1, Err: err}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			te.ExitCode = ee.ExitCode()
		}
		if ctx.Err() != nil {
			te.Err = fmt.Errorf("%w (%v)", ctx.Err(), err)
			te.ExitCode = -1
		}
		s := errb.Bytes()
		if len(s) > stderrTail {
			s = s[len(s)-stderrTail:]
		}
		te.Stderr = string(s)
		if te.Stderr == "" && te.ExitCode >= 0 {
			o := out.Bytes()
			if len(o) > stderrTail {
				o = o[len(o)-stderrTail:]
			}
			te.Stderr = string(o)
		}
		return out.Bytes(), te
	}
	return out.Bytes(), nil
}

// Execute runs exactly the steps of p, the plan that was shown and audited,
// in order, through cfg.Sudo when the plan needs root and esbtui is not
// root. It never plans a different set of steps: first it asks the store
// that made p to plan again (reading only), and when the store no longer
// needs exactly these steps (it changed since p was shown) nothing runs and
// the error is a *PlanChangedError. It stops at the first failing step with
// a *StepError saying what ran and what did not.
func Execute(ctx context.Context, cfg *Config, p Plan) error {
	if p.source != nil {
		now, err := p.source.Plan(ctx, p.Op)
		if err != nil {
			return fmt.Errorf("trust: %s %s: check the store before running the plan: %w", p.Store, p.Op, err)
		}
		if !p.sameSteps(now) {
			return &PlanChangedError{Shown: p, Now: now}
		}
	}
	return cfg.execute(ctx, p)
}

// execute runs the steps of p; Execute checked that they are still due.
func (c *Config) execute(ctx context.Context, p Plan) error {
	elevate := p.NeedsRoot && !isRoot()
	if elevate {
		switch {
		case c.goos() == "windows":
			return &NeedsRootError{Plan: p, Why: "run esbtui from an elevated (Administrator) prompt"}
		case len(c.Sudo) == 0:
			return &NeedsRootError{Plan: p, Why: "run as root, or allow sudo (interactive, or --yes headless)"}
		}
	}
	for i, s := range p.Steps {
		if err := ctx.Err(); err != nil {
			return &StepError{Store: p.Store, Op: p.Op, Step: s, Done: p.Steps[:i], Left: p.Steps[i+1:], Err: err}
		}
		var err error
		if elevate {
			err = c.doSudo(ctx, s)
		} else {
			err = c.do(ctx, s)
		}
		if err != nil {
			return &StepError{Store: p.Store, Op: p.Op, Step: s, Done: p.Steps[:i], Left: p.Steps[i+1:], Err: err}
		}
	}
	return nil
}

func (c *Config) do(ctx context.Context, s Step) error {
	switch s.Kind {
	case StepWrite:
		return writeFileAtomic(s.Path, s.data, s.Mode)
	case StepRemove:
		if err := os.Remove(s.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	case StepRmdir:
		removeEmptyDir(s.Path)
		return nil
	case StepRun:
		_, err := c.run(ctx, s.Argv, nil)
		return err
	case StepCall:
		if s.call == nil {
			return fmt.Errorf("%s: not available on this system", s.Desc)
		}
		return s.call(ctx)
	}
	return fmt.Errorf("unknown step kind %q", s.Kind)
}

// doSudo runs a step through sudo: files are written with `tee` (stdout
// discarded), removed with `rm -f`, directories with `rmdir`.
func (c *Config) doSudo(ctx context.Context, s Step) error {
	sudo := func(stdin []byte, argv ...string) error {
		_, err := c.run(ctx, append(append([]string(nil), c.Sudo...), argv...), stdin)
		return err
	}
	switch s.Kind {
	case StepWrite:
		if err := sudo(nil, "mkdir", "-p", "--", filepath.Dir(s.Path)); err != nil {
			return err
		}
		if err := sudo(s.data, "tee", "--", s.Path); err != nil {
			return err
		}
		return sudo(nil, "chmod", strconv.FormatUint(uint64(s.Mode.Perm()), 8), "--", s.Path)
	case StepRemove:
		return sudo(nil, "rm", "-f", "--", s.Path)
	case StepRmdir:
		if !dirEmpty(s.Path) {
			return nil
		}
		_ = sudo(nil, "rmdir", "--", s.Path)
		return nil
	case StepRun:
		return sudo(nil, s.Argv...)
	}
	return c.do(ctx, s)
}

// writeFileAtomic writes data to path atomically, creating the directory
// 0755 when needed (trust stores are read by everyone).
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	return safefile.WriteAtomic(path, data, mode, 0o755)
}

func dirEmpty(dir string) bool {
	ents, err := os.ReadDir(dir)
	return err == nil && len(ents) == 0
}

// removeEmptyDir removes dir when it is empty; anything else is left alone.
func removeEmptyDir(dir string) {
	if dirEmpty(dir) {
		os.Remove(dir)
	}
}
