// Package config resolves esbtui's paths and defaults: ESB_HOME (default ~/.esb),
// the certificate directory (ESB_CERT_DIR overrides $ESB_HOME/certs) and the
// registry address the rest of the tool talks to.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Environment variables esbtui reads.
const (
	EnvHome     = "ESB_HOME"
	EnvCertDir  = "ESB_CERT_DIR"
	EnvRegistry = "ESB_REGISTRY"
	// EnvProject names the compose project (default "esb"); tests use their own.
	EnvProject = "ESB_PROJECT"
	// EnvRegistryImage chooses the registry image (registry:3 or any
	// distribution-compatible one) instead of esbtui's own.
	EnvRegistryImage = "ESB_REGISTRY_IMAGE"
	// EnvRegistryPort is the host port the registry is published on
	// (default: the port of ESB_REGISTRY when it is a loopback address, else 5000).
	EnvRegistryPort = "ESB_REGISTRY_PORT"
	// EnvComposeFile names a user compose file (like `esbtui up -f FILE`).
	EnvComposeFile = "ESB_COMPOSE_FILE"
	// EnvTrustRoot names a directory every trust store path is prefixed
	// with (a sandbox for tests and dry runs); empty: the real system.
	EnvTrustRoot = "ESB_TRUST_ROOT"
	// EnvPushExport chooses how push reads an engine image: auto (the
	// engine's layer store when readable, else the API export), save (always
	// the API export) or layer-store (never fall back).
	EnvPushExport = "ESB_PUSH_EXPORT"
	// EnvHostGateway overrides the host address containers reach as
	// host.docker.internal (where registry events are received).
	EnvHostGateway = "ESB_HOST_GATEWAY"
	// EnvEngineFiles chooses how the registry's certificate, key and
	// htpasswd reach the engine: bind (bind mounts of esbtui's files: the
	// engine shares this machine's filesystem), copy (a volume filled
	// through the API) or auto (bind for a unix:// engine, else copy).
	EnvEngineFiles = "ESB_ENGINE_FILES"
)

// Engine file delivery modes (ESB_ENGINE_FILES).
const (
	EngineFilesAuto = "auto"
	EngineFilesBind = "bind"
	EngineFilesCopy = "copy"
)

// Push export modes (ESB_PUSH_EXPORT).
const (
	PushExportAuto       = "auto"
	PushExportSave       = "save"
	PushExportLayerStore = "layer-store"
)

// DefaultProject is the compose project name of the default stack.
const DefaultProject = "esb"

// DefaultRegistryPort is where the default stack publishes its registry.
const DefaultRegistryPort = 5000

// DefaultRegistry is where the default stack publishes its registry.
const DefaultRegistry = "localhost:5000"

// Config holds resolved paths. The zero value is not useful: use Load or FromHome.
type Config struct {
	Home     string // $ESB_HOME, default ~/.esb
	CertDir  string // $ESB_CERT_DIR, default $ESB_HOME/certs
	Registry string // host:port of the registry, default localhost:5000
	// Project is the compose project name, default "esb".
	Project string
	// RegistryPort is the loopback port the registry is published on (the
	// stack) or listens on (serve), default 5000.
	RegistryPort int
	// ComposeFiles are user compose files loaded with (merged over) the
	// embedded default; from ESB_COMPOSE_FILE, `-f` or esb.yaml.
	ComposeFiles []string
	// Names are extra SANs for the server certificate (esb.yaml).
	Names []string
	// NameOrigins maps each of Names to where it is written (esb.yaml:LINE).
	NameOrigins map[string]string
	// FunctionsDir is the directory of functions/<name>/Dockerfile
	// (esb.yaml's functions); empty: ./functions.
	FunctionsDir string
	// Retention is the tag retention policy (esb.yaml).
	Retention Retention
	// Alerts are the registry alerts' thresholds (esb.yaml's alerts over
	// DefaultAlerts).
	Alerts Alerts
	// Schedules are the jobs the registry runs by itself (esb.yaml
	// gc.schedule, retention.schedule).
	Schedules Schedules
	// ProjectFile is the esb.yaml that was read, if any.
	ProjectFile string
	// TrustContainers are the compose services esb.yaml opts in to
	// esbtui's CA bundle (trust.containers).
	TrustContainers TrustContainers
	// RuntimeCAEnv holds the variables of RuntimeCAVars set in esbtui's
	// environment (what the shell's runtimes trust).
	RuntimeCAEnv map[string]string
	// SudoUID is the user who ran esbtui through sudo (SUDO_UID), -1 when
	// not under sudo: root may use that user's own certificate directory.
	SudoUID int
	// TrustRoot prefixes every trust store path (ESB_TRUST_ROOT); empty:
	// the machine's real stores.
	TrustRoot string
	// PushExport is how push reads an engine image (ESB_PUSH_EXPORT):
	// PushExportAuto, PushExportSave or PushExportLayerStore.
	PushExport string
	// HostGateway, when valid, is where containers reach this host
	// (ESB_HOST_GATEWAY); invalid: found from the engine.
	HostGateway netip.Addr
	// RegistryImage is the registry image the user chose
	// (ESB_REGISTRY_IMAGE, else esb.yaml's image); empty: esbtui's own.
	RegistryImage string
	// RegistryImageFrom says where RegistryImage came from
	// ("ESB_REGISTRY_IMAGE" or the esb.yaml path).
	RegistryImageFrom string
	// Mirrors are esb.yaml's pull-through caches, every port resolved
	// (ResolveMirrorPorts, skipping RegistryPort and its debug port).
	Mirrors []Mirror
	// EngineFiles is how the registry's files reach the engine
	// (ESB_ENGINE_FILES): EngineFilesAuto, EngineFilesBind or
	// EngineFilesCopy.
	EngineFiles string
	// SignBuilds signs every image `esbtui build` pushes (esb.yaml sign).
	SignBuilds bool
	// VerifyRequired makes pull, build (base images from the registry)
	// and doctor refuse images without a valid signature (esb.yaml
	// verify: required).
	VerifyRequired bool
	// DockerDaemonConfig is the daemon.json `mirror install` edits
	// (ESB_DOCKER_DAEMON_CONFIG); empty: /etc/docker/daemon.json.
	DockerDaemonConfig string
	// DockerdPIDFile is the pid file of the dockerd reloaded after
	// daemon.json changes (ESB_DOCKERD_PIDFILE); empty: found.
	DockerdPIDFile string
	// HubAuthURL and HubRegistryURL replace Docker Hub's endpoints where
	// the pull quota is read (ESB_HUB_AUTH_URL, ESB_HUB_REGISTRY_URL).
	HubAuthURL, HubRegistryURL string
	// DockerConfigDir is the docker CLI's configuration directory
	// (DOCKER_CONFIG, default ~/.docker).
	DockerConfigDir string
	// Host is what the user's environment says about this machine's
	// tools, read once here.
	Host HostEnv
}

// HostEnv is the part of the user's environment esbtui reads about the
// host's tools: who runs it, their shell, where TLS clients and Java look.
type HostEnv struct {
	// User is $USER (the audit log's "who" beside the OS account).
	User string
	// Shell is the base name of $SHELL (what `esbtui env` prints for).
	Shell string
	// SSLCertDir is $SSL_CERT_DIR (SSL_CERT_FILE is in RuntimeCAEnv).
	SSLCertDir string
	// JavaHome is $JAVA_HOME (where the default JDK's cacerts is).
	JavaHome string
}

// Load resolves the configuration from the environment.
func Load() (Config, error) {
	home := os.Getenv(EnvHome)
	if home == "" {
		uh, err := os.UserHomeDir()
		if err != nil {
			return Config{}, fmt.Errorf("config: find home directory: %w (set %s to choose where esbtui keeps its files)", err, EnvHome)
		}
		home = filepath.Join(uh, ".esb")
	}
	c := FromHome(home)
	if id, err := strconv.Atoi(os.Getenv("SUDO_UID")); err == nil && id >= 0 {
		c.SudoUID = id
	}
	pf, err := loadProjectFile()
	if err != nil {
		return Config{}, err
	}
	if pf != nil {
		c.ProjectFile = pf.Path
		c.ComposeFiles = pf.Compose
		c.Names, c.NameOrigins = pf.Names, pf.NameOrigins
		c.Retention = pf.Retention
		c.Alerts = pf.ResolvedAlerts
		c.Schedules = pf.Schedules()
		c.TrustContainers = pf.Trust.Containers
		c.FunctionsDir = pf.Functions
		c.SignBuilds = pf.Sign
		c.VerifyRequired = pf.Verify == VerifyRequired
		if pf.Image != "" {
			c.RegistryImage, c.RegistryImageFrom = pf.Image, pf.Path
		}
		if pf.Registry != "" {
			c.Registry = pf.Registry
			if p := loopbackPort(pf.Registry); p > 0 {
				c.RegistryPort = p
			}
		}
	}
	if d := os.Getenv(EnvCertDir); d != "" {
		c.CertDir = d
	}
	if r := os.Getenv(EnvRegistry); r != "" {
		if err := CheckRegistry(r); err != nil {
			return Config{}, fmt.Errorf("config: %s=%q: %w", EnvRegistry, r, err)
		}
		c.Registry = r
		if p := loopbackPort(r); p > 0 {
			c.RegistryPort = p
		}
	}
	if p := os.Getenv(EnvRegistryPort); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Config{}, fmt.Errorf("config: %s=%q is not a port number (1-65535)", EnvRegistryPort, p)
		}
		c.RegistryPort = n
		if os.Getenv(EnvRegistry) == "" {
			c.Registry = net.JoinHostPort("localhost", p)
		}
	}
	if p := os.Getenv(EnvProject); p != "" {
		c.Project = p
	}
	if img := strings.TrimSpace(os.Getenv(EnvRegistryImage)); img != "" {
		if err := CheckImageRef(img); err != nil {
			return Config{}, fmt.Errorf("config: %s=%q: %w", EnvRegistryImage, img, err)
		}
		c.RegistryImage, c.RegistryImageFrom = img, EnvRegistryImage
	}
	if f := os.Getenv(EnvComposeFile); f != "" {
		c.ComposeFiles = filepath.SplitList(f)
	}
	c.TrustRoot = os.Getenv(EnvTrustRoot)
	if err := loadEngineMirrorEnv(&c); err != nil {
		return Config{}, err
	}
	c.RuntimeCAEnv = runtimeCAEnv()
	c.Host = HostEnv{
		User:       os.Getenv("USER"),
		Shell:      filepath.Base(os.Getenv("SHELL")),
		SSLCertDir: os.Getenv("SSL_CERT_DIR"),
		JavaHome:   os.Getenv("JAVA_HOME"),
	}
	switch m := os.Getenv(EnvPushExport); m {
	case "", PushExportAuto:
		c.PushExport = PushExportAuto
	case PushExportSave, PushExportLayerStore:
		c.PushExport = m
	default:
		return Config{}, fmt.Errorf("config: %s=%q: want %s, %s or %s", EnvPushExport, m, PushExportAuto, PushExportSave, PushExportLayerStore)
	}
	switch m := os.Getenv(EnvEngineFiles); m {
	case "", EngineFilesAuto:
		c.EngineFiles = EngineFilesAuto
	case EngineFilesBind, EngineFilesCopy:
		c.EngineFiles = m
	default:
		return Config{}, fmt.Errorf("config: %s=%q: want %s, %s or %s", EnvEngineFiles, m, EngineFilesAuto, EngineFilesBind, EngineFilesCopy)
	}
	if g := os.Getenv(EnvHostGateway); g != "" {
		a, err := netip.ParseAddr(g)
		if err != nil || a.Zone() != "" {
			return Config{}, fmt.Errorf("config: %s=%q is not an IP address: set it to an address of this host that containers reach (e.g. the docker0 address, `ip -4 addr show docker0`), or unset it", EnvHostGateway, g)
		}
		c.HostGateway = a
	}
	if pf != nil && len(pf.Mirrors) > 0 {
		ms, err := ResolveMirrorPorts(pf.Mirrors, c.RegistryPort, c.RegistryPort+1)
		if err != nil {
			return Config{}, fmt.Errorf("config: %s: %w", pf.Path, err)
		}
		c.Mirrors = ms
	}
	abs, err := absAll(&c)
	if err != nil {
		return Config{}, err
	}
	return abs, nil
}

// FromHome returns the defaults for a given ESB_HOME, ignoring the environment.
func FromHome(home string) Config {
	return Config{
		Home:         home,
		CertDir:      filepath.Join(home, "certs"),
		Registry:     DefaultRegistry,
		Project:      DefaultProject,
		RegistryPort: DefaultRegistryPort,
		SudoUID:      -1,
		PushExport:   PushExportAuto,
		EngineFiles:  EngineFilesAuto,
		Alerts:       DefaultAlerts(),
	}
}

// loopbackPort returns the port of a host:port on localhost or a loopback
// IP, or 0.
func loopbackPort(hostport string) int {
	h, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return 0
	}
	if ip := net.ParseIP(h); h != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return 0
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 0
	}
	return n
}

func absAll(c *Config) (Config, error) {
	var errs []error
	ps := []*string{&c.Home, &c.CertDir}
	if c.TrustRoot != "" {
		ps = append(ps, &c.TrustRoot)
	}
	for i := range c.ComposeFiles {
		ps = append(ps, &c.ComposeFiles[i])
	}
	for _, p := range ps {
		a, err := filepath.Abs(*p)
		if err != nil {
			errs = append(errs, fmt.Errorf("config: resolve %s: %w", *p, err))
			continue
		}
		*p = a
	}
	return *c, errors.Join(errs...)
}

// LogDir is where esbtui writes its own log file.
func (c Config) LogDir() string { return filepath.Join(c.Home, "logs") }

// StackDir is where the default compose project is written for users to read.
func (c Config) StackDir() string { return filepath.Join(c.Home, "stack") }

// RegistryDataDir is the storage of the in-process registry (esbtui serve).
func (c Config) RegistryDataDir() string { return filepath.Join(c.Home, "registry") }

// AuditLog is the JSON-lines record of every change esbtui makes.
func (c Config) AuditLog() string { return filepath.Join(c.Home, "audit.jsonl") }
