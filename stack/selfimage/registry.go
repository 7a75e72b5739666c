package selfimage

import (
	_ "embed"
	"time"
)

// Repository is the name of esbtui's registry images.
const Repository = "esbtui/registry"

// ExecPath is where the binary sits in the image.
const ExecPath = "/esbtui"

// RegistryServerCommand is the hidden esbtui subcommand that runs the
// registry (distribution's `registry` command: serve, garbage-collect)
// plus healthcheck and du for the stack's healthcheck and gc.
const RegistryServerCommand = "registryd"

// RegistryConfigPath is where the image keeps the registry configuration,
// the path registry:3 uses.
const RegistryConfigPath = "/etc/distribution/config.yml"

//go:embed registry-config.yml
var registryConfig []byte

// RegistryEntrypoint is the image's entrypoint; gc runs
// RegistryEntrypoint + garbage-collect in a one-off container.
func RegistryEntrypoint() []string { return []string{ExecPath, RegistryServerCommand} }

// RegistryHealthcheck is the exec-form healthcheck test: esbtui itself
// GETs the registry's `/` (200 even when authentication is on).
func RegistryHealthcheck() []string {
	return []string{"CMD", ExecPath, RegistryServerCommand, "healthcheck", "https://localhost:5000/"}
}

// RegistrySpec is the registry image of executable: distribution v3 run
// by esbtui itself with registry:3's configuration file, storage in
// /var/lib/registry.
func RegistrySpec(executable, version string, rt *Runtime) Spec {
	return Spec{
		Repository:   Repository,
		Version:      version,
		Executable:   executable,
		ExecPath:     ExecPath,
		Runtime:      rt,
		Files:        map[string][]byte{RegistryConfigPath: registryConfig},
		Dirs:         []string{"/var/lib/registry", "/tmp"},
		Entrypoint:   RegistryEntrypoint(),
		Cmd:          []string{"serve", RegistryConfigPath},
		Env:          []string{"OTEL_TRACES_EXPORTER=none"},
		ExposedPorts: []string{"5000/tcp"},
		Volumes:      []string{"/var/lib/registry"},
		Healthcheck: &Healthcheck{
			Test:     RegistryHealthcheck(),
			Interval: 3 * time.Second, Timeout: 5 * time.Second, Retries: 10,
			StartPeriod: 5 * time.Second, StartInterval: 200 * time.Millisecond,
		},
		Labels: map[string]string{"org.opencontainers.image.title": "esbtui registry", "org.opencontainers.image.version": version},
	}
}
