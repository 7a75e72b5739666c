package trust

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// nssStore is every NSS database of the user: Chromium's ~/.pki/nssdb and
// each Firefox profile, through certutil.
type nssStore struct {
	cfg      *Config
	ca       CA
	certutil string
	dbs      []string
}

func newNSSStore(cfg *Config, ca CA) *nssStore {
	s := &nssStore{cfg: cfg, ca: ca, certutil: cfg.tool("certutil")}
	home := cfg.home()
	if home == "" {
		return s
	}
	if exists(filepath.Join(home, ".pki", "nssdb", "cert9.db")) {
		s.dbs = append(s.dbs, filepath.Join(home, ".pki", "nssdb"))
	}
	for _, root := range firefoxProfileRoots {
		m, _ := filepath.Glob(filepath.Join(home, root, "*", "cert9.db"))
		sort.Strings(m)
		for _, db := range m {
			s.dbs = append(s.dbs, filepath.Dir(db))
		}
	}
	return s
}

func (s *nssStore) Name() string { return "nss" }

func (s *nssStore) Applies() (bool, string) {
	if len(s.dbs) == 0 {
		return false, "no NSS database (~/.pki/nssdb or a Firefox profile): start Chromium or Firefox once, then run `esbtui trust install`"
	}
	if s.certutil == "" {
		return false, "certutil not found: install libnss3-tools (Debian/Ubuntu), nss-tools (Fedora) or nss (Arch, macOS Homebrew)"
	}
	return true, ""
}

// nssDBState is what one database holds of ours.
type nssDBState struct {
	dir       string
	current   bool     // our nickname holds our CA
	trustedTL bool     // ... with the C (trusted CA for TLS) flag
	stale     []string // nicknames holding a CA this ESB_HOME installed before
	dupNick   bool     // our nickname holds another certificate than our CA
	left      []string // notes on nicknames of other esbtui CAs
}

// certWithSerial is the certificate among certs with the serial (lower-case
// hex), or nil.
func certWithSerial(certs []*x509.Certificate, serial string) *x509.Certificate {
	for _, c := range certs {
		if serialHex(c) == serial {
			return c
		}
	}
	return nil
}

func (s *nssStore) dbArg(dir string) string { return "sql:" + dir }

// nssList parses `certutil -L`: "<nickname>   <flags>" after a header.
func nssList(out []byte) map[string]string {
	res := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t")
		i := strings.LastIndexAny(line, " \t")
		if i < 0 {
			continue
		}
		nick, flags := strings.TrimSpace(line[:i]), line[i+1:]
		if nick == "" || strings.Count(flags, ",") != 2 {
			continue
		}
		res[nick] = flags
	}
	return res
}

func (s *nssStore) readDB(ctx context.Context, dir string) (nssDBState, error) {
	st := nssDBState{dir: dir}
	out, err := s.cfg.run(ctx, []string{s.certutil, "-d", s.dbArg(dir), "-L"}, nil)
	if err != nil {
		return st, fmt.Errorf("list %s: %w", dir, err)
	}
	mine := nssNickname(s.ca.Cert)
	for nick, flags := range nssList(out) {
		if !strings.HasPrefix(nick, Organization+" ") {
			continue
		}
		pemOut, err := s.cfg.run(ctx, []string{s.certutil, "-d", s.dbArg(dir), "-L", "-n", nick, "-a"}, nil)
		if err != nil {
			return st, fmt.Errorf("read %q in %s: %w", nick, dir, err)
		}
		// certutil -L -n NICK prints every certificate with the subject of
		// NICK's certificate (esbtui CAs share one subject): pick the one
		// whose serial the nickname carries.
		c := certWithSerial(parsePEMCerts(pemOut), strings.TrimPrefix(nick, Organization+" "))
		k := unrelated
		if c != nil {
			k = s.cfg.relate(c, s.ca.Cert)
		}
		switch {
		case nick == mine && k == current:
			st.current = true
			st.trustedTL = strings.Contains(strings.SplitN(flags, ",", 2)[0], "C")
		case nick == mine:
			st.dupNick = true
		case k == current || k == stale:
			st.stale = append(st.stale, nick)
		default:
			st.left = append(st.left, leftNote(fmt.Sprintf("nickname %q in %s", nick, dir), c))
		}
	}
	sort.Strings(st.stale)
	return st, nil
}

func (s *nssStore) readAll(ctx context.Context) ([]nssDBState, error) {
	var out []nssDBState
	for _, d := range s.dbs {
		st, err := s.readDB(ctx, d)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

func (s *nssStore) Check(ctx context.Context) Status {
	st := Status{Store: s.Name()}
	if ok, why := s.Applies(); !ok {
		st.State, st.Reason = NotApplicable, why
		return st
	}
	all, err := s.readAll(ctx)
	if err != nil {
		st.State, st.Reason = Unknown, err.Error()
		return st
	}
	var missing, staleDBs []string
	for _, d := range all {
		mark := "trusted"
		switch {
		case d.current && d.trustedTL && !d.dupNick:
		case d.current:
			mark = "present but not trusted for TLS"
			missing = append(missing, d.dir)
		case len(d.stale) > 0:
			mark = "older esbtui CA only: " + strings.Join(d.stale, ", ")
			staleDBs = append(staleDBs, d.dir)
		default:
			mark = "missing"
			missing = append(missing, d.dir)
		}
		st.Detail = append(st.Detail, fmt.Sprintf("%s: %s", d.dir, mark))
		st.Detail = append(st.Detail, d.left...)
	}
	switch {
	case len(missing) == 0 && len(staleDBs) == 0:
		st.State = Trusted
	case len(missing) == 0:
		st.State, st.Reason = Stale, "an older esbtui CA is trusted in "+strings.Join(staleDBs, ", ")+": run `esbtui trust install`"
	default:
		st.State, st.Reason = Missing, "the CA is not trusted in "+strings.Join(append(missing, staleDBs...), ", ")+": run `esbtui trust install`"
	}
	return st
}

func (s *nssStore) Plan(ctx context.Context, op Op) (Plan, error) {
	if err := plannable(s, s.ca); err != nil {
		return Plan{}, err
	}
	all, err := s.readAll(ctx)
	if err != nil {
		return Plan{}, fmt.Errorf("trust: nss: %w", err)
	}
	return s.plan(op, all), nil
}

func (s *nssStore) plan(op Op, all []nssDBState) Plan {
	p := newPlan(s, op)
	mine := nssNickname(s.ca.Cert)
	var dirs []string
	for _, d := range all {
		n := len(p.Steps)
		p.Notes = append(p.Notes, d.left...)
		deleteMine := func() {
			p.Steps = append(p.Steps, runStep(s.certutil, "-d", s.dbArg(d.dir), "-D", "-n", mine))
		}
		for _, nick := range d.stale {
			p.Steps = append(p.Steps, runStep(s.certutil, "-d", s.dbArg(d.dir), "-D", "-n", nick))
		}
		switch op {
		case OpInstall:
			switch {
			case d.dupNick:
				deleteMine()
				p.Steps = append(p.Steps, runStep(s.certutil, "-d", s.dbArg(d.dir), "-A", "-t", "C,,", "-n", mine, "-i", s.ca.File))
			case d.current && !d.trustedTL:
				p.Steps = append(p.Steps, runStep(s.certutil, "-d", s.dbArg(d.dir), "-M", "-n", mine, "-t", "C,,"))
			case !d.current:
				p.Steps = append(p.Steps, runStep(s.certutil, "-d", s.dbArg(d.dir), "-A", "-t", "C,,", "-n", mine, "-i", s.ca.File))
			}
		case OpUninstall:
			if d.current || d.dupNick {
				deleteMine()
			}
		}
		if len(p.Steps) > n {
			dirs = append(dirs, d.dir)
		}
	}
	if !p.Empty() {
		p.NeedsRoot = needsRoot(dirs...)
	}
	return p
}
