package trust

import (
	"context"
	"testing"
)

// runPlan executes a plan the way the flows do.
func runPlan(ctx context.Context, cfg *Config, _ Store, p Plan) error {
	return Execute(ctx, cfg, p)
}

// recordInstalled records CAs as installed from this ESB_HOME before.
func recordInstalled(cfg *Config, cas ...CA) {
	for _, ca := range cas {
		cfg.Installed = append(cfg.Installed, Fingerprint(ca.Cert))
	}
}

// apply plans op on s and executes that plan.
func apply(t testing.TB, ctx context.Context, s Store, op Op) error {
	t.Helper()
	p, err := s.Plan(ctx, op)
	if err != nil {
		return err
	}
	return Execute(ctx, storeConfig(s), p)
}

// storeConfig is the Config a store was made with.
func storeConfig(s Store) *Config {
	switch s := s.(type) {
	case *fileSystemStore:
		return s.cfg
	case *certsDStore:
		return s.cfg
	case *nssStore:
		return s.cfg
	case *javaStore:
		return s.cfg
	case *archStore:
		return s.cfg
	case *keychainStore:
		return s.cfg
	case *winRootStore:
		return s.cfg
	}
	return &Config{}
}

var testSudo = []string{"sudo", "--"}
