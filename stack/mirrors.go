package stack

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/esbtui/esbtui/internal/config"
)

// MirrorsComposeFile is the compose file esbtui writes next to the default
// one ($ESB_HOME/stack) when esb.yaml has mirrors: one service per
// upstream, merged after the default and before the user's files.
const MirrorsComposeFile = "mirrors.yaml"

// MirrorServicePrefix starts every mirror's service name ("mirror-docker-io").
const MirrorServicePrefix = "mirror-"

// MirrorFilesTarget is where a mirror container reads its settings, CA
// bundle and upstream login (registryserver's MirrorDirEnv).
const MirrorFilesTarget = "/mirror"

// MirrorService is one pull-through cache as a compose service.
type MirrorService struct {
	// Name is the mirror's slug ("docker-io"): the service is
	// "mirror-<Name>", the cache's volume "mirror-<Name>".
	Name string
	// Port is the loopback host port it is published on.
	Port int
	// FilesDir is the host directory mounted read-only at /mirror.
	FilesDir string
	// Generation changes whenever the files change (a new login, a new
	// CA): it is a label of the service, so `up` recreates the cache, which
	// reads its files once, at start.
	Generation string
}

// MirrorGenerationLabel is the service label holding MirrorService.Generation.
const MirrorGenerationLabel = "dev.esbtui.mirror-files"

var mirrorGenerationRE = regexp.MustCompile(`^[0-9a-f]{0,64}$`)

var mirrorNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,60}[a-z0-9])?$`)

// ServiceName is the compose service of the mirror.
func (m MirrorService) ServiceName() string { return MirrorServicePrefix + m.Name }

// mirrorTLSCiphers are the suites the registry offers (compose.yaml).
const mirrorTLSCiphers = "[TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256]"

// MirrorsCompose is the compose document of the mirrors. Every mirror
// runs ${ESB_MIRROR_IMAGE} (esbtui's registry image), published on
// 127.0.0.1 only, with the server certificate and key like the registry,
// its files at /mirror and its cache in its own volume. healthcheck is the
// exec-form test (esbtui's image checks itself).
func MirrorsCompose(ms []MirrorService, healthcheck []string) ([]byte, error) {
	type hc struct {
		Test          []string `yaml:"test"`
		Interval      string   `yaml:"interval"`
		Timeout       string   `yaml:"timeout"`
		Retries       int      `yaml:"retries"`
		StartPeriod   string   `yaml:"start_period"`
		StartInterval string   `yaml:"start_interval"`
	}
	type svc struct {
		Image         string            `yaml:"image"`
		ContainerName string            `yaml:"container_name"`
		Restart       string            `yaml:"restart"`
		Ports         []string          `yaml:"ports"`
		Environment   map[string]string `yaml:"environment"`
		ExtraHosts    []string          `yaml:"extra_hosts"`
		Volumes       []string          `yaml:"volumes"`
		Networks      []string          `yaml:"networks"`
		Labels        map[string]string `yaml:"labels,omitempty"`
		Healthcheck   hc                `yaml:"healthcheck"`
	}
	doc := struct {
		Services map[string]svc      `yaml:"services"`
		Volumes  map[string]struct{} `yaml:"volumes"`
	}{Services: map[string]svc{}, Volumes: map[string]struct{}{}}
	ports := map[int]bool{}
	for _, m := range ms {
		if !mirrorNameRE.MatchString(m.Name) {
			return nil, fmt.Errorf("stack: mirror name %q: lower-case letters, digits and '-' only", m.Name)
		}
		if m.Port < 1 || m.Port > 65535 || ports[m.Port] {
			return nil, fmt.Errorf("stack: mirror %s: port %d is not a free port number", m.Name, m.Port)
		}
		ports[m.Port] = true
		if !mirrorGenerationRE.MatchString(m.Generation) {
			return nil, fmt.Errorf("stack: mirror %s: generation %q is not hex", m.Name, m.Generation)
		}
		if !filepath.IsAbs(m.FilesDir) {
			return nil, fmt.Errorf("stack: mirror %s: files directory %q is not absolute", m.Name, m.FilesDir)
		}
		doc.Services[m.ServiceName()] = svc{
			Image:         "${ESB_MIRROR_IMAGE}",
			ContainerName: "${COMPOSE_PROJECT_NAME}-" + m.ServiceName(),
			Restart:       "unless-stopped",
			Ports:         []string{"127.0.0.1:" + strconv.Itoa(m.Port) + ":5000"},
			Environment: map[string]string{
				"REGISTRY_HTTP_TLS_CERTIFICATE":   "/certs/server.crt",
				"REGISTRY_HTTP_TLS_KEY":           "/certs/server.key",
				"REGISTRY_HTTP_TLS_MINIMUMTLS":    "tls1.2",
				"REGISTRY_HTTP_TLS_CIPHERSUITES":  mirrorTLSCiphers,
				"OTEL_TRACES_EXPORTER":            "none",
				config.EnvMirrorDir:               MirrorFilesTarget,
				"REGISTRY_LOG_ACCESSLOG_DISABLED": "true",
			},
			ExtraHosts: []string{"host.docker.internal:${ESB_HOST_GATEWAY:-host-gateway}"},
			Volumes: []string{
				"${ESB_CERT_DIR}/server.crt:/certs/server.crt:ro",
				"${ESB_CERT_DIR}/server.key:/certs/server.key:ro",
				escapeDollar(m.FilesDir) + ":" + MirrorFilesTarget + ":ro",
				m.ServiceName() + ":/var/lib/registry",
			},
			Networks: []string{"external_network"},
			Labels:   map[string]string{MirrorGenerationLabel: m.Generation},
			Healthcheck: hc{Test: healthcheck, Interval: "3s", Timeout: "5s", Retries: 10,
				StartPeriod: "5s", StartInterval: "200ms"},
		}
		doc.Volumes[m.ServiceName()] = struct{}{}
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("stack: mirrors compose file: %w", err)
	}
	head := "# Written by esbtui from esb.yaml's mirrors on every `esbtui up` (edit esb.yaml,\n" +
		"# not this file): one pull-through cache per upstream, esbtui's registry\n" +
		"# image in proxy mode, published on loopback only.\n"
	return append([]byte(head), out...), nil
}

// escapeDollar keeps a "$" in a host path from being read as a variable.
func escapeDollar(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '$' {
			out = append(out, '$')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// WriteMirrorsCompose writes the mirrors compose file into dir (atomically,
// only when it changed) and returns its path.
func WriteMirrorsCompose(dir string, data []byte) (string, error) {
	return writeComposeFile(dir, MirrorsComposeFile, ".mirrors-*.yaml", data)
}
