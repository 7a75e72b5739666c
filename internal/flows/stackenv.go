package flows

import (
	"os"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/registryserver"
)

// opsEnv is what LoadStack injects for bind, auth and notifications.
func (e *Env) opsEnv(o StackOptions) map[string]string {
	os.MkdirAll(e.htpasswdDir(), 0o700) // mounted at /auth even when auth is off
	bind := o.Bind
	if bind == "" {
		bind = "127.0.0.1"
	}
	m := map[string]string{"ESB_AUTH_DIR": e.htpasswdDir(), "ESB_REGISTRY_BIND": bind}
	if e.AuthEnabled() {
		m["ESB_REGISTRY_AUTH"] = registryserver.AuthConfigYAML()
	}
	m["ESB_REGISTRY_NOTIFICATIONS"] = e.notificationsYAML()
	// esb.yaml's gc.schedule and retention.schedule: esbtui's registry
	// image runs them by itself (other images ignore the variable).
	m[config.EnvRegistrySchedules] = e.Cfg.Schedules.EnvValue()
	return m
}
