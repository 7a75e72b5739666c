package registryclient

import (
	"errors"
	"fmt"
	"os"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/types"
)

// DockerLogin stores user/password for registry where the docker CLI (and
// go-containerregistry's default keychain, which esbtui's client uses) look:
// the credential helper configured in $DOCKER_CONFIG/config.json
// (credsStore / credHelpers), else that file itself. It returns where.
// Nothing is printed (the docker CLI's "stored unencrypted" warning would
// go to stderr).
func DockerLogin(registry, user, password string) (string, error) {
	cf, err := config.Load(config.Dir())
	if err != nil {
		return "", fmt.Errorf("registryclient: read the Docker config in %s: %w", config.Dir(), err)
	}
	ac := types.AuthConfig{Username: user, Password: password, ServerAddress: registry}
	if helper := credHelper(cf.CredentialsStore, cf.CredentialHelpers, registry); helper != "" {
		if err := cf.GetCredentialsStore(registry).Store(ac); err != nil {
			return "", fmt.Errorf("registryclient: store the registry login in the credential helper docker-credential-%s: %w (check it works: `docker login %s`)", helper, err, registry)
		}
		return "docker-credential-" + helper, nil
	}
	cf.GetAuthConfigs()[registry] = ac
	if err := cf.Save(); err != nil {
		return "", fmt.Errorf("registryclient: save the registry login in %s: %w", cf.Filename, err)
	}
	return cf.Filename, nil
}

// DockerLogout removes the stored login for registry (no error when there
// is none).
func DockerLogout(registry string) error {
	cf, err := config.Load(config.Dir())
	if err != nil {
		return fmt.Errorf("registryclient: read the Docker config in %s: %w", config.Dir(), err)
	}
	if credHelper(cf.CredentialsStore, cf.CredentialHelpers, registry) != "" {
		if err := cf.GetCredentialsStore(registry).Erase(registry); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("registryclient: remove the registry login from the credential helper: %w", err)
		}
		return nil
	}
	if _, ok := cf.GetAuthConfigs()[registry]; !ok {
		return nil
	}
	delete(cf.GetAuthConfigs(), registry)
	if err := cf.Save(); err != nil {
		return fmt.Errorf("registryclient: save %s: %w", cf.Filename, err)
	}
	return nil
}

func credHelper(store string, helpers map[string]string, registry string) string {
	if h := helpers[registry]; h != "" {
		return h
	}
	return store
}
