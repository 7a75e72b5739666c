package config

import (
	"fmt"
	"path/filepath"
	"regexp"

	"go.yaml.in/yaml/v3"
)

// Trust is esb.yaml's trust section.
//
//	trust:
//	  containers: all            # or [api, worker]
type Trust struct {
	Containers TrustContainers `yaml:"containers"`
}

// TrustContainers says which compose services get esbtui's CA bundle
// mounted and the runtimes' CA variables set: all of them, or the named
// ones. The zero value opts no service in (a service may still opt in with
// the compose label esb.trust: "true").
type TrustContainers struct {
	All      bool
	Services []string
	// Origin is "esb.yaml:LINE" of the setting, for errors about it.
	Origin string
}

// MaxTrustServices bounds trust.containers' list.
const MaxTrustServices = 256

// serviceNameRE is a compose service name.
var serviceNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$`)

// trustContainersError is a bad trust.containers value at a line; the
// parser adds the file.
type trustContainersError struct {
	line int
	msg  string
}

func (e *trustContainersError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// UnmarshalYAML accepts "all" or a sequence of service names.
func (t *TrustContainers) UnmarshalYAML(n *yaml.Node) error {
	bad := func(format string, a ...any) error {
		return &trustContainersError{line: n.Line, msg: "trust.containers " + fmt.Sprintf(format, a...) + ": give `all` or a list of compose services, e.g. [api, worker]"}
	}
	t.Origin = fmt.Sprintf("line %d", n.Line)
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		if n.Tag != "!!str" || n.Value != "all" {
			return bad("is %q", n.Value)
		}
		t.All = true
		return nil
	case yaml.SequenceNode:
		if len(n.Content) > MaxTrustServices {
			return bad("lists %d services (at most %d)", len(n.Content), MaxTrustServices)
		}
		seen := map[string]bool{}
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode || item.Tag != "!!str" || !serviceNameRE.MatchString(item.Value) {
				return &trustContainersError{line: item.Line, msg: fmt.Sprintf("trust.containers: %q is not a compose service name (letters, digits, '.', '_', '-')", item.Value)}
			}
			if !seen[item.Value] {
				seen[item.Value] = true
				t.Services = append(t.Services, item.Value)
			}
		}
		return nil
	}
	return bad("is a mapping")
}

// locate turns Origin from "line N" into "PATH:N" once the file is known.
func (t *TrustContainers) locate(path string) {
	var line int
	if _, err := fmt.Sscanf(t.Origin, "line %d", &line); err == nil {
		t.Origin = fmt.Sprintf("%s:%d", path, line)
	}
}

// TrustDir is where the CA bundle for containers and runtimes is kept
// ($ESB_HOME/trust).
func (c Config) TrustDir() string { return filepath.Join(c.Home, "trust") }
