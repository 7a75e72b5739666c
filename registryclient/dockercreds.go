package registryclient

import (
	"fmt"

	"github.com/docker/cli/cli/config"
)

// dockerHubAuthKey is where `docker login` (no argument) stores the
// Docker Hub login.
const dockerHubAuthKey = "https://index.docker.io/v1/"

// UpstreamLogin is a login for an upstream registry found in the
// developer's Docker configuration. Never print Password.
type UpstreamLogin struct {
	Username string
	Password string
	// From says where it was found (the credential helper or the file),
	// for messages; it holds no secret.
	From string
}

// DockerCredentials looks up the login for registry (a host[:port]; Docker
// Hub under any of its names) the way the docker CLI does: the credential
// helper configured in $DOCKER_CONFIG/config.json (credHelpers,
// credsStore), else the file's auths. nil when there is none. A login
// that is only an identity token (Docker Desktop's OAuth) cannot be used
// by the cache and is reported as an error naming the registry.
func DockerCredentials(registry string) (*UpstreamLogin, error) {
	key := registry
	switch registry {
	case "docker.io", "index.docker.io", "registry-1.docker.io":
		key = dockerHubAuthKey
	}
	cf, err := config.Load(config.Dir())
	if err != nil {
		return nil, fmt.Errorf("registryclient: read the Docker config in %s: %w", config.Dir(), err)
	}
	ac, err := cf.GetAuthConfig(key)
	if err != nil {
		return nil, fmt.Errorf("registryclient: the Docker login for %s: %w (check `docker login %s` works)", registry, err, registry)
	}
	from := cf.Filename
	if h := credHelper(cf.CredentialsStore, cf.CredentialHelpers, key); h != "" {
		from = "docker-credential-" + h
	}
	switch {
	case ac.Username != "" && ac.Password != "":
		return &UpstreamLogin{Username: ac.Username, Password: ac.Password, From: from}, nil
	case ac.IdentityToken != "" || ac.RegistryToken != "":
		return nil, fmt.Errorf("registryclient: the Docker login for %s (%s) is a token, not a user name and password: the cache needs `docker login %s -u USER` with a password or access token", registry, from, registry)
	}
	return nil, nil
}
