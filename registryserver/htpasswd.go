package registryserver

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/types"
	"golang.org/x/crypto/bcrypt"

	"github.com/esbtui/esbtui/internal/safefile"
)

// Basic auth of the registry (`esbtui up --auth`): an htpasswd file with one
// bcrypt user, in a directory the registry mounts read-only at /auth.
const (
	// HTPasswdFile is the htpasswd file's name in the auth directory.
	HTPasswdFile = "htpasswd"
	// AuthUser is the one user esbtui creates.
	AuthUser = "esbtui"
	// AuthRealm is the realm the registry announces.
	AuthRealm = "esbtui"
	// bcryptCost: the password is 32 random bytes, so stretching adds no
	// strength, but the registry pays it on every request (cost 10 ≈ 50 ms
	// of CPU per request here, cost 4 < 1 ms); see TestAuth's overhead log.
	bcryptCost = 6
)

// AuthConfigYAML is the registry's auth section (REGISTRY_AUTH) for the
// htpasswd file mounted at /auth.
func AuthConfigYAML() string {
	return fmt.Sprintf("{htpasswd: {realm: %s, path: /auth/%s}}", AuthRealm, HTPasswdFile)
}

// NewPassword returns a random password (32 bytes, base64url: 43 chars).
func NewPassword() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("registryserver: generate a password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// WriteHTPasswd writes dir/htpasswd with user's bcrypt hash, atomically
// (the registry re-reads it when its modification time changes, so a
// rotation needs no restart) and 0600.
func WriteHTPasswd(dir, user, password string) error {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return fmt.Errorf("registryserver: hash the registry password: %w", err)
	}
	return writeFileAtomic(filepath.Join(dir, HTPasswdFile), []byte(user+":"+string(hash)+"\n"))
}

// writeFileAtomic writes path (0600, directory 0700) through a rename.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("registryserver: create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("registryserver: write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("registryserver: write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("registryserver: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("registryserver: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("registryserver: write %s: %w", path, err)
	}
	return nil
}

// WriteSecret writes a secret file 0600 atomically.
func WriteSecret(path, secret string) error { return writeFileAtomic(path, []byte(secret+"\n")) }

// maxSecretFile bounds a password or token file (they hold a few dozen bytes).
const maxSecretFile = 4 << 10

// ReadSecret reads a file written by WriteSecret: a regular file of at most
// 4 KiB.
func ReadSecret(path string) (string, error) {
	b, err := safefile.ReadFile(path, "secret file", maxSecretFile)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// DockerLogin stores user/password for registry where the docker CLI (and
// go-containerregistry's default keychain, which esbtui's client uses) look:
// the credential helper configured in $DOCKER_CONFIG/config.json
// (credsStore / credHelpers), else that file itself. It returns where.
// Nothing is printed (the docker CLI's "stored unencrypted" warning would
// go to stderr).
func DockerLogin(registry, user, password string) (string, error) {
	cf, err := config.Load(config.Dir())
	if err != nil {
		return "", fmt.Errorf("registryserver: read the Docker config in %s: %w", config.Dir(), err)
	}
	ac := types.AuthConfig{Username: user, Password: password, ServerAddress: registry}
	if helper := credHelper(cf.CredentialsStore, cf.CredentialHelpers, registry); helper != "" {
		if err := cf.GetCredentialsStore(registry).Store(ac); err != nil {
			return "", fmt.Errorf("registryserver: store the registry login in the credential helper docker-credential-%s: %w (check it works: `docker login %s`)", helper, err, registry)
		}
		return "docker-credential-" + helper, nil
	}
	cf.GetAuthConfigs()[registry] = ac
	if err := cf.Save(); err != nil {
		return "", fmt.Errorf("registryserver: save the registry login in %s: %w", cf.Filename, err)
	}
	return cf.Filename, nil
}

// DockerLogout removes the stored login for registry (no error when there
// is none).
func DockerLogout(registry string) error {
	cf, err := config.Load(config.Dir())
	if err != nil {
		return fmt.Errorf("registryserver: read the Docker config in %s: %w", config.Dir(), err)
	}
	if credHelper(cf.CredentialsStore, cf.CredentialHelpers, registry) != "" {
		if err := cf.GetCredentialsStore(registry).Erase(registry); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("registryserver: remove the registry login from the credential helper: %w", err)
		}
		return nil
	}
	if _, ok := cf.GetAuthConfigs()[registry]; !ok {
		return nil
	}
	delete(cf.GetAuthConfigs(), registry)
	if err := cf.Save(); err != nil {
		return fmt.Errorf("registryserver: save %s: %w", cf.Filename, err)
	}
	return nil
}

func credHelper(store string, helpers map[string]string, registry string) string {
	if h := helpers[registry]; h != "" {
		return h
	}
	return store
}
