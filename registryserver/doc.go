// Package registryserver is the server side of esbtui's registry: the
// in-process registry (distribution v3 over TLS 1.2+ with AEAD suites),
// what esbtui's registry image runs inside its container, the OCI 1.1
// handler both put in front of distribution (referrers API, OCI-Subject),
// the htpasswd file and secrets, and the listener for the registry's
// notifications. The client side is registryclient.
package registryserver
