package config

import (
	"fmt"
	"regexp"
)

// imageRefRE is the shape of a Docker image reference: a lower-case name
// with optional registry host[:port] and path, then :tag and/or
// @sha256:digest. Compose and the engine check the rest.
var imageRefRE = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$`)

// CheckImageRef accepts an image reference ("registry:3",
// "ghcr.io/org/registry:3.1@sha256:…") and refuses anything else (spaces,
// control characters, upper-case names) before it reaches a compose file.
func CheckImageRef(ref string) error {
	if len(ref) > 512 || !imageRefRE.MatchString(ref) {
		return fmt.Errorf("not an image reference (e.g. registry:3 or host:5000/team/registry:3)")
	}
	return nil
}
