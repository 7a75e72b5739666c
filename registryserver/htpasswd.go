package registryserver

import (
	"fmt"
	"path/filepath"

	"golang.org/x/crypto/bcrypt"
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
