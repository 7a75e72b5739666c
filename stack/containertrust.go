package stack

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/esbtui/esbtui/stack/engine"
)

// Container trust: services that opt in get esbtui's CA bundle (public
// roots + the CA) mounted read-only where their TLS libraries read the
// system roots, and the variables of runtimes with their own store set to
// it. Nothing the user set for a service is overridden.

// TrustLabel opts a compose service in: esb.trust: "true".
const TrustLabel = "esb.trust"

// TrustBundleLabel: see engine.TrustBundleLabel (Ps reports it).
const TrustBundleLabel = engine.TrustBundleLabel

// In-container paths of esbtui's own copies, which the variables name.
const (
	ContainerBundlePath     = "/etc/esbtui/ca-bundle.pem"
	ContainerTrustStorePath = "/etc/esbtui/ca-truststore.p12"
)

// SystemBundlePaths are where OpenSSL, GnuTLS and Go read the system roots:
// Debian/Ubuntu and Alpine (ca-certificates.crt; Alpine's cert.pem), and
// the RHEL family (ca-bundle.crt and the extracted tls-ca-bundle.pem).
var SystemBundlePaths = []string{
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/ssl/cert.pem",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
}

// ContainerTrust is what AddContainerTrust mounts.
type ContainerTrust struct {
	// BundlePEM and TrustStore are the host paths of the PEM bundle and
	// the PKCS#12 truststore; BundleSHA256 is the bundle's hash.
	BundlePEM, TrustStore, BundleSHA256 string
	// TrustStorePassword is the truststore's (public) password.
	TrustStorePassword string
}

// TrustMounts are the read-only bind mounts of an opted-in service:
// target → host source.
func (ct ContainerTrust) TrustMounts() map[string]string {
	m := map[string]string{ContainerBundlePath: ct.BundlePEM, ContainerTrustStorePath: ct.TrustStore}
	for _, p := range SystemBundlePaths {
		m[p] = ct.BundlePEM
	}
	return m
}

// TrustEnv are the variables of an opted-in service.
func (ct ContainerTrust) TrustEnv() map[string]string {
	return map[string]string{
		"NODE_EXTRA_CA_CERTS": ContainerBundlePath,
		"REQUESTS_CA_BUNDLE":  ContainerBundlePath,
		"SSL_CERT_FILE":       ContainerBundlePath,
		"CURL_CA_BUNDLE":      ContainerBundlePath,
		"JAVA_TOOL_OPTIONS":   JavaTrustOptions(ContainerTrustStorePath, ct.TrustStorePassword),
	}
}

// JavaTrustOptions is the JAVA_TOOL_OPTIONS value that makes a JVM use
// the PKCS#12 truststore at path.
func JavaTrustOptions(path, password string) string {
	return "-Djavax.net.ssl.trustStore=" + path + " -Djavax.net.ssl.trustStoreType=PKCS12 -Djavax.net.ssl.trustStorePassword=" + password
}

// UnknownTrustServiceError is a service named in esb.yaml's
// trust.containers that the project does not define.
type UnknownTrustServiceError struct {
	Service, Origin string
	Services        []string
}

func (e *UnknownTrustServiceError) Error() string {
	return fmt.Sprintf("stack: %s: trust.containers names %q, which the compose project does not define (services: %s): fix the name or remove it", e.Origin, e.Service, strings.Join(e.Services, ", "))
}

// TrustedServices are the services that opt in, sorted: all of them when
// all is set, those named, and those labelled esb.trust: "true". A name
// the project lacks, or a label value other than "true"/"false", is an
// error (origin says where the names come from, e.g. "esb.yaml:4").
func (p *Project) TrustedServices(all bool, names []string, origin string) ([]string, error) {
	set := map[string]bool{}
	for _, n := range names {
		if !p.HasService(n) {
			return nil, &UnknownTrustServiceError{Service: n, Origin: origin, Services: p.Services()}
		}
		set[n] = true
	}
	for name, svc := range p.p.Services {
		v, ok := svc.Labels[TrustLabel]
		switch {
		case !ok || v == "false":
		case v == "true":
			set[name] = true
		default:
			return nil, fmt.Errorf("stack: service %s: label %s is %q: set it to \"true\" (or remove it)", name, TrustLabel, v)
		}
		if all {
			set[name] = true
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// AddContainerTrust adds ct's mounts, variables and bundle label to each
// of services. A variable or mount target the user already set for a
// service is left as it is, and so is a target under one of the service's
// own mounts (the bundle would land in the user's volume): each is a
// warning in the result. A service that is not in the project is an error.
func (p *Project) AddContainerTrust(services []string, ct ContainerTrust) (warnings []string, err error) {
	if ct.BundlePEM == "" || ct.TrustStore == "" {
		return nil, fmt.Errorf("stack: container trust: no bundle files given")
	}
	mounts := ct.TrustMounts()
	targets := make([]string, 0, len(mounts))
	for t := range mounts {
		targets = append(targets, t)
	}
	sort.Strings(targets)
	env := ct.TrustEnv()
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	for _, name := range services {
		svc, ok := p.p.Services[name]
		if !ok {
			return nil, fmt.Errorf("stack: container trust: no service %q in the project", name)
		}
		// A new service value: nothing shared with the loaded one changes.
		svc.Volumes = slices.Clone(svc.Volumes)
		svc.Environment = maps.Clone(svc.Environment)
		svc.Labels = maps.Clone(svc.Labels)
		for _, target := range targets {
			if own := coveringMount(svc.Volumes, target); own != nil {
				warnings = append(warnings, fmt.Sprintf("service %s: its own %s mount at %s covers %s, so esbtui's CA bundle is not mounted there: programs reading %s will not trust esbtui's CA; remove that mount or add esbtui's CA to it (%s)", name, mountKind(own), own.Target, target, target, ct.BundlePEM))
				continue
			}
			svc.Volumes = append(svc.Volumes, types.ServiceVolumeConfig{
				Type:     types.VolumeTypeBind,
				Source:   mounts[target],
				Target:   target,
				ReadOnly: true,
				Bind:     &types.ServiceVolumeBind{CreateHostPath: false},
			})
		}
		for _, k := range keys {
			if _, set := svc.Environment[k]; set {
				// The value is not shown: it may be a secret.
				warnings = append(warnings, fmt.Sprintf("service %s: %s is already set in its environment, esbtui leaves it as it is: to trust esbtui's CA, set it to %s", name, k, env[k]))
				continue
			}
			if svc.Environment == nil {
				svc.Environment = types.MappingWithEquals{}
			}
			v := env[k]
			svc.Environment[k] = &v
		}
		if svc.Labels == nil {
			svc.Labels = types.Labels{}
		}
		svc.Labels[TrustBundleLabel] = ct.BundleSHA256
		p.p.Services[name] = svc
	}
	return warnings, nil
}

// coveringMount is the service's mount at target or at a directory above
// it, or nil.
func coveringMount(vols []types.ServiceVolumeConfig, target string) *types.ServiceVolumeConfig {
	for i := range vols {
		t := path.Clean(vols[i].Target)
		if t == target || t == "/" || strings.HasPrefix(target, t+"/") {
			return &vols[i]
		}
	}
	return nil
}

func mountKind(v *types.ServiceVolumeConfig) string {
	if v.Type == "" {
		return "volume"
	}
	return v.Type
}
