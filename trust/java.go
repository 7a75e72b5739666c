package trust

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

const (
	javaStorePass     = "changeit"
	debianJavaCacerts = "/etc/ssl/certs/java/cacerts"
	javaWarning       = "Java ignores name constraints on trust anchors: while this CA is in Java's cacerts, its key could sign for any name as far as Java is concerned; keep rootCA.key private"
)

// ksEntry is one trusted certificate in a Java keystore.
type ksEntry struct {
	Alias string
	Cert  []byte // PEM
}

// listKeystore lists a keystore's certificates with `keytool -list -rfc`
// (English labels forced; fingerprints are computed here, not parsed). An
// unchanged file (same size and mtime) is not listed again when cfg has a
// KeystoreCache.
func listKeystore(ctx context.Context, cfg *Config, keytool, keystore string) ([]ksEntry, error) {
	fi, statErr := os.Stat(keystore)
	if statErr == nil {
		if entries, ok := cfg.Keystores.get(keystore, fi); ok {
			return entries, nil
		}
	}
	entries, err := listKeystoreNow(ctx, cfg, keytool, keystore)
	if err == nil && statErr == nil {
		cfg.Keystores.put(keystore, fi, entries)
	}
	return entries, err
}

func listKeystoreNow(ctx context.Context, cfg *Config, keytool, keystore string) ([]ksEntry, error) {
	out, err := cfg.run(ctx, []string{keytool, "-J-Duser.language=en", "-J-Duser.country=US", "-list", "-rfc", "-keystore", keystore, "-storepass", javaStorePass}, nil)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", keystore, err)
	}
	var entries []ksEntry
	var cur *ksEntry
	inPEM := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(line, "Alias name: "):
			entries = append(entries, ksEntry{Alias: strings.TrimPrefix(line, "Alias name: ")})
			cur = &entries[len(entries)-1]
		case cur != nil && line == "-----BEGIN CERTIFICATE-----":
			inPEM = true
			cur.Cert = append(cur.Cert, line+"\n"...)
		case cur != nil && inPEM:
			cur.Cert = append(cur.Cert, line+"\n"...)
			if line == "-----END CERTIFICATE-----" {
				inPEM = false
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("list %s: read the output of keytool -list: %w", keystore, err)
	}
	return entries, nil
}

// javaStore is the default JDK's cacerts, through keytool.
type javaStore struct {
	cfg      *Config
	ca       CA
	keytool  string
	keystore string // "" when not found
	why      string // why keystore is ""
}

func newJavaStore(cfg *Config, ca CA) *javaStore {
	s := &javaStore{cfg: cfg, ca: ca, keytool: cfg.tool("keytool")}
	if s.keytool == "" {
		return s
	}
	if cfg.JavaKeystore != "" {
		s.keystore = cfg.JavaKeystore
		return s
	}
	var candidates []string
	if jh := cfg.JavaHome; jh != "" {
		candidates = append(candidates, filepath.Join(jh, "lib", "security", "cacerts"), filepath.Join(jh, "jre", "lib", "security", "cacerts"))
	}
	if real, err := filepath.EvalSymlinks(s.keytool); err == nil {
		home := filepath.Dir(filepath.Dir(real))
		candidates = append(candidates, filepath.Join(home, "lib", "security", "cacerts"), filepath.Join(home, "jre", "lib", "security", "cacerts"))
	}
	for i, c := range candidates {
		candidates[i] = cfg.path(c)
	}
	for _, c := range candidates {
		if exists(c) {
			s.keystore = c
			if real, err := filepath.EvalSymlinks(s.keystore); err == nil {
				s.keystore = real // Debian: /etc/ssl/certs/java/cacerts
			}
			return s
		}
	}
	s.why = fmt.Sprintf("keytool %s has no cacerts next to it (looked at %s): set JAVA_HOME", s.keytool, strings.Join(candidates, ", "))
	return s
}

func (s *javaStore) Name() string { return "java" }

func (s *javaStore) Applies() (bool, string) {
	switch {
	case s.keytool == "":
		return false, "keytool not found: install a JDK (apt-get install default-jre-headless) if your Java tools need the CA"
	case s.keystore == "":
		return false, s.why
	}
	if _, err := os.Stat(s.keystore); err != nil {
		return false, fmt.Sprintf("keystore %s: %v", s.keystore, err)
	}
	return true, ""
}

type javaState struct {
	current []string // aliases holding our CA
	stale   []string // aliases holding a CA this ESB_HOME installed before
	left    []string // notes on aliases holding another esbtui CA
}

func (s *javaStore) read(ctx context.Context) (javaState, error) {
	var st javaState
	entries, err := listKeystore(ctx, s.cfg, s.keytool, s.keystore)
	if err != nil {
		return st, err
	}
	for _, e := range entries {
		for _, c := range parsePEMCerts(e.Cert) {
			switch s.cfg.relate(c, s.ca.Cert) {
			case current:
				st.current = append(st.current, e.Alias)
			case stale:
				st.stale = append(st.stale, e.Alias)
			case foreign:
				st.left = append(st.left, leftNote("alias "+e.Alias+" in "+s.keystore, c))
			}
		}
	}
	return st, nil
}

func (s *javaStore) Check(ctx context.Context) Status {
	st := Status{Store: s.Name()}
	if ok, why := s.Applies(); !ok {
		st.State, st.Reason = NotApplicable, why
		return st
	}
	st.Detail = []string{"keystore " + s.keystore, "sha256 " + Fingerprint(s.ca.Cert)}
	r, err := s.read(ctx)
	switch {
	case err != nil:
		st.State, st.Reason = Unknown, err.Error()
	case len(r.current) > 0:
		st.State = Trusted
		st.Warnings = append(st.Warnings, javaWarning)
	case len(r.stale) > 0:
		st.State, st.Reason = Stale, "an older esbtui CA is in "+s.keystore+", the current one is not: run `esbtui trust install`"
	default:
		st.State, st.Reason = Missing, "the CA is not in "+s.keystore+": run `esbtui trust install`"
	}
	for _, a := range r.current {
		st.Detail = append(st.Detail, "alias "+a)
	}
	for _, a := range r.stale {
		st.Detail = append(st.Detail, "stale alias "+a)
	}
	st.Detail = append(st.Detail, r.left...)
	return st
}

func (s *javaStore) Plan(ctx context.Context, op Op) (Plan, error) {
	if err := plannable(s, s.ca); err != nil {
		return Plan{}, err
	}
	r, err := s.read(ctx)
	if err != nil {
		return Plan{}, fmt.Errorf("trust: java: %w", err)
	}
	return s.plan(op, r), nil
}

func (s *javaStore) del(alias string) Step {
	return runStep(s.keytool, "-delete", "-alias", alias, "-keystore", s.keystore, "-storepass", javaStorePass)
}

func (s *javaStore) plan(op Op, r javaState) Plan {
	p := newPlan(s, op)
	p.Notes = append(p.Notes, r.left...)
	for _, a := range r.stale {
		p.Steps = append(p.Steps, s.del(a))
	}
	switch op {
	case OpInstall:
		if len(r.current) == 0 {
			p.Steps = append(p.Steps, runStep(s.keytool, "-importcert", "-noprompt", "-trustcacerts",
				"-alias", javaAlias(s.ca.Cert), "-file", s.ca.File, "-keystore", s.keystore, "-storepass", javaStorePass))
		}
		p.Notes = append(p.Notes, javaWarning)
	case OpUninstall:
		for _, a := range r.current {
			p.Steps = append(p.Steps, s.del(a))
		}
	}
	if !p.Empty() {
		p.NeedsRoot = needsRoot(s.keystore)
	}
	return p
}
