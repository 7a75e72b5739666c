package trust

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// fileSystemStore is a Linux system store fed by an anchors directory and a
// refresh tool that rebuilds a PEM bundle: Debian/Ubuntu, RHEL/Fedora, SUSE.
type fileSystemStore struct {
	cfg    *Config
	ca     CA
	det    Detection
	spec   familySpec
	tool   string // resolved path of spec.tool, "" when missing
	keytl  string // keytool, for Debian's Java hook alias (may be "")
	cacert string // Debian's Java cacerts (rooted), may not exist
}

func (s *fileSystemStore) Name() string { return "system" }

func (s *fileSystemStore) Applies() (bool, string) {
	if s.tool == "" {
		return false, fmt.Sprintf("%s not found: %s", s.spec.tool, s.spec.install)
	}
	if s.cfg.Root != "" && !s.spec.sandboxable {
		return false, fmt.Sprintf("%s cannot be confined to the sandbox root %s", s.spec.tool, s.cfg.Root)
	}
	return true, ""
}

func (s *fileSystemStore) anchorDir() string { return s.cfg.path(s.spec.anchorDir) }
func (s *fileSystemStore) anchorPath() string {
	return filepath.Join(s.anchorDir(), baseName(s.ca.Cert)+s.spec.ext)
}
func (s *fileSystemStore) bundlePath() string { return s.cfg.path(s.spec.bundle) }

// refreshArgv is the refresh command; under a sandbox root, Debian's tool
// is told to read and write only there.
func (s *fileSystemStore) refreshArgv(op Op) []string {
	argv := append([]string{s.tool}, s.spec.refresh...)
	if op == OpUninstall {
		argv = append([]string{s.tool}, s.spec.refreshRemove...)
	}
	if s.cfg.Root != "" && s.spec.family == FamilyDebian {
		argv = append(argv,
			"--certsconf", s.cfg.path("/etc/ca-certificates.conf"),
			"--certsdir", s.cfg.path("/usr/share/ca-certificates"),
			"--localcertsdir", s.anchorDir(),
			"--etccertsdir", s.cfg.path("/etc/ssl/certs"),
			"--hooksdir", s.cfg.path("/etc/ca-certificates/update.d"))
	}
	return argv
}

// sysState is what a check of a file-based system store found.
type sysState struct {
	fileOK   bool         // our anchor file holds exactly the CA's PEM
	filePres bool         // something is at our anchor path
	fileOurs bool         // ... and it holds the current CA or one this ESB_HOME installed
	others   []anchorFile // other files named esbtui-ca-*: ours (stale) or foreign
	bundle   bundleState
	aliases  []string // Debian Java hook aliases holding the current or a recorded CA
	// left are entries that look like esbtui's but belong to another esbtui
	// CA (or hold not exactly one certificate): reported, never removed.
	left []string
}

// read inspects the store; Java aliases (a keytool run, ~0.5 s) are listed
// only when withAliases (uninstall plans).
func (s *fileSystemStore) read(ctx context.Context, withAliases bool) (sysState, error) {
	var st sysState
	data, err := os.ReadFile(s.anchorPath())
	switch {
	case err == nil:
		st.filePres = true
		st.fileOK = bytes.Equal(data, s.ca.PEM)
	case !os.IsNotExist(err):
		return st, fmt.Errorf("read %s: %w", s.anchorPath(), err)
	}
	files, err := scanAnchors(s.cfg, s.anchorDir(), s.spec.ext, s.ca.Cert)
	if err != nil {
		return st, err
	}
	for _, f := range files {
		switch {
		case f.Path == s.anchorPath():
			st.fileOurs = f.Kin != foreign
		case f.Kin == foreign:
			st.left = append(st.left, leftNote(f.Path, f.Cert))
		default:
			st.others = append(st.others, f)
		}
	}
	st.bundle = readBundle(s.cfg, s.bundlePath(), s.ca.Cert)
	if st.bundle.Err != nil {
		return st, st.bundle.Err
	}
	if withAliases && s.spec.family == FamilyDebian && s.keytl != "" && exists(s.cacert) {
		entries, err := listKeystore(ctx, s.cfg, s.keytl, s.cacert)
		if err != nil {
			return st, err
		}
		for _, e := range entries {
			if !hasPrefixFold(e.Alias, "debian:"+filePrefix) {
				continue
			}
			certs := parsePEMCerts(e.Cert)
			if len(certs) == 1 {
				if k := s.cfg.relate(certs[0], s.ca.Cert); k == current || k == stale {
					st.aliases = append(st.aliases, e.Alias)
					continue
				}
				st.left = append(st.left, leftNote("Java alias "+e.Alias+" in "+s.cacert, certs[0]))
				continue
			}
			st.left = append(st.left, leftNote("Java alias "+e.Alias+" in "+s.cacert, nil))
		}
	}
	return st, nil
}

func (s *fileSystemStore) Check(ctx context.Context) Status {
	st := Status{Store: s.Name(), Detail: s.det.describe()}
	if ok, why := s.Applies(); !ok {
		st.State, st.Reason = NotApplicable, why
		return st
	}
	st.Detail = append(st.Detail, "anchor "+s.anchorPath(), "bundle "+s.bundlePath())
	r, err := s.read(ctx, false)
	if err != nil {
		st.State, st.Reason = Unknown, err.Error()
		return st
	}
	s.judge(r, &st)
	return st
}

func (s *fileSystemStore) judge(r sysState, st *Status) {
	var staleOnes []string
	for _, f := range r.others {
		staleOnes = append(staleOnes, f.Path)
	}
	for _, c := range r.bundle.Stale {
		staleOnes = append(staleOnes, "in bundle: "+describeCert(c))
	}
	switch {
	case r.fileOK && r.bundle.Has:
		st.State = Trusted
	case r.fileOK:
		st.State = Missing
		st.Reason = fmt.Sprintf("half installed: %s is in place but %s does not contain it (the refresh did not run or failed): run `esbtui trust install`", s.anchorPath(), s.bundlePath())
	case r.filePres:
		st.State = Missing
		st.Reason = fmt.Sprintf("%s differs from the CA: `esbtui trust install` rewrites it", s.anchorPath())
	case r.bundle.Has:
		st.State = Trusted
		st.Warnings = append(st.Warnings, fmt.Sprintf("%s holds the CA but %s is missing: the bundle was not refreshed after a removal, or the CA was added by other means", s.bundlePath(), s.anchorPath()))
	case len(staleOnes) > 0:
		st.State = Stale
		st.Reason = "an older esbtui CA is trusted, the current one is not: run `esbtui trust install`"
	default:
		st.State = Missing
		st.Reason = "the CA is not in the system store: run `esbtui trust install`"
	}
	if len(staleOnes) > 0 && st.State != Stale {
		st.Warnings = append(st.Warnings, "older esbtui CA still present (install removes it)")
	}
	for _, p := range staleOnes {
		st.Detail = append(st.Detail, "stale "+p)
	}
	st.Detail = append(st.Detail, r.left...)
	for _, c := range r.bundle.Foreign {
		st.Detail = append(st.Detail, leftNote("in bundle "+s.bundlePath()+":", c))
	}
}

func (s *fileSystemStore) Plan(ctx context.Context, op Op) (Plan, error) {
	if err := plannable(s, s.ca); err != nil {
		return Plan{}, err
	}
	r, err := s.read(ctx, op == OpUninstall)
	if err != nil {
		return Plan{}, fmt.Errorf("trust: system: %w", err)
	}
	return s.plan(op, r), nil
}

// plan is pure: the steps for op given the state read. Tests call it with
// made-up states for the families this machine does not run.
func (s *fileSystemStore) plan(op Op, r sysState) Plan {
	p := newPlan(s, op)
	p.Notes = append(p.Notes, r.left...)
	dirs := []string{s.anchorDir(), filepath.Dir(s.bundlePath())}
	refresh := false
	for _, f := range r.others {
		p.Steps = append(p.Steps, removeStep(f.Path))
		refresh = true
	}
	switch op {
	case OpInstall:
		if !r.fileOK {
			p.Steps = append(p.Steps, writeStep(s.anchorPath(), s.ca.PEM))
			refresh = true
		}
		if refresh || !r.bundle.Has {
			p.Steps = append(p.Steps, runStep(s.refreshArgv(OpInstall)...))
		}
	case OpUninstall:
		var pre []Step
		for _, a := range r.aliases {
			pre = append(pre, runStep(s.keytl, "-delete", "-alias", a, "-keystore", s.cacert, "-storepass", javaStorePass))
			dirs = append(dirs, filepath.Dir(s.cacert))
		}
		p.Steps = append(pre, p.Steps...)
		switch {
		case r.filePres && (r.fileOK || r.fileOurs):
			p.Steps = append(p.Steps, removeStep(s.anchorPath()))
			refresh = true
		case r.filePres:
			p.Notes = append(p.Notes, leftNote(s.anchorPath(), nil))
		}
		if refresh || r.bundle.Has {
			p.Steps = append(p.Steps, runStep(s.refreshArgv(OpUninstall)...))
		}
	}
	if !p.Empty() {
		p.NeedsRoot = needsRoot(dirs...)
	}
	return p
}
