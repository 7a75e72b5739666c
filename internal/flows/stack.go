package flows

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/registryserver"
	"github.com/esbtui/esbtui/stack"
	"github.com/esbtui/esbtui/stack/engine"
)

// Stack states in StackStatus.State.
const (
	StackUp          = "up"          // every service running and healthy
	StackDown        = "down"        // no containers
	StackDegraded    = "degraded"    // some service stopped, starting or unhealthy
	StackUnavailable = "unavailable" // no engine (see Error)
)

// Engine connects to the Docker engine (explicit Ping, API version checked)
// with the embedded libraries' logs sent to esbtui's log. The caller closes
// it. Errors are *engine.EngineUnreachableError, *engine.EnginePermissionError
// or *engine.EngineTooOldError when the user has something to fix.
func (e *Env) Engine(ctx context.Context) (*engine.Engine, error) {
	stack.SetLogger(e.Log)
	return engine.Connect(ctx, e.Log)
}

// StackOptions are the user's choices for up, down and logs.
type StackOptions struct {
	// Files are user compose files merged over the default; empty means
	// Cfg.ComposeFiles (ESB_COMPOSE_FILE).
	Files []string
	// NoDefault leaves the embedded default project out (the user's files
	// define everything).
	NoDefault bool
	// WaitTimeout bounds the wait for health (up); 0 means 2 minutes.
	WaitTimeout time.Duration
	// Auth turns the registry's basic auth on or off (up); nil keeps what
	// was chosen last (see ops.go).
	Auth *bool
	// Bind is the address the registry port is published on (up); empty
	// means 127.0.0.1. A non-loopback address needs auth.
	Bind string

	// registryImage is what up's image step chose (registry_image.go).
	registryImage *RegistryImage
	// mirrorImage is the image up's mirrors step chose (mirrors.go).
	mirrorImage string
}

// LoadStack loads the compose project: the embedded default (written to
// $ESB_HOME/stack/compose.yaml) and the user's files, with ESB_CERT_DIR,
// ESB_REGISTRY, ESB_REGISTRY_PORT and ESB_REGISTRY_DEBUG_PORT injected.
func (e *Env) LoadStack(ctx context.Context, o StackOptions) (*stack.Project, error) {
	stack.SetLogger(e.Log)
	files := o.Files
	if len(files) == 0 {
		files = e.Cfg.ComposeFiles
	}
	po := stack.ProjectOptions{
		Name:  e.Cfg.Project,
		Files: files,
		Env: map[string]string{
			"ESB_CERT_DIR":            e.Cfg.CertDir,
			"ESB_REGISTRY":            e.Cfg.Registry,
			"ESB_REGISTRY_PORT":       strconv.Itoa(e.Cfg.RegistryPort),
			"ESB_REGISTRY_DEBUG_PORT": strconv.Itoa(e.debugPort()),
		},
	}
	for k, v := range e.opsEnv(o) {
		po.Env[k] = v
	}
	if !o.NoDefault {
		po.DefaultDir = e.Cfg.StackDir()
		mf, err := e.mirrorsComposeFile()
		if err != nil {
			return nil, err
		}
		if mf != "" {
			po.Generated = []string{mf}
			// Before up's mirrors step the image is not chosen yet (down,
			// logs): any value loads.
			po.Env["ESB_MIRROR_IMAGE"] = FallbackRegistryImage
			if o.mirrorImage != "" {
				po.Env["ESB_MIRROR_IMAGE"] = o.mirrorImage
			}
		}
	}
	switch ri := o.registryImage; {
	case ri != nil:
		po.Env["ESB_REGISTRY_IMAGE"] = ri.Ref
	case e.Cfg.RegistryImage != "":
		po.Env["ESB_REGISTRY_IMAGE"] = e.Cfg.RegistryImage
	default:
		// Before up's image step (and for down, logs, build, which start
		// no registry) the image is not chosen yet: a user file that says
		// ${ESB_REGISTRY_IMAGE} still loads. up loads again with its choice.
		po.Env["ESB_REGISTRY_IMAGE"] = FallbackRegistryImage
	}
	p, err := stack.LoadProject(ctx, po)
	if err != nil {
		return nil, err
	}
	applyRegistryImage(p, o.registryImage)
	return p, nil
}

// debugPort is where the registry's /metrics and /debug/health are
// published: the port after the registry's.
func (e *Env) debugPort() int { return e.Cfg.RegistryPort + 1 }

// RegistryAddr is the loopback address the registry is published on.
func (e *Env) RegistryAddr() string {
	return net.JoinHostPort("localhost", strconv.Itoa(e.Cfg.RegistryPort))
}

// CAPool is a pool holding only esbtui's root CA, loaded through the same
// checks as init and trust (pki.LoadUsableCA): nothing else appended to
// rootCA.crt is trusted.
func (e *Env) CAPool() (*x509.CertPool, error) {
	ca, err := e.Certs.LoadUsableCA(e.Now())
	if err != nil {
		return nil, fmt.Errorf("load the CA: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return pool, nil
}

// Up brings the stack up: compose file → certificates → engine → port →
// compose up with wait → every service healthy → HTTPS GET /v2/ verified
// against our CA. Each step reports through sink (op "up").
func (e *Env) Up(ctx context.Context, o StackOptions, sink progress.Sink) ([]engine.Service, error) {
	rep := progress.Reporter{Op: "up", Sink: sink}
	services, err := e.up(ctx, o, rep)
	fields := map[string]any{"project": e.Cfg.Project, "port": e.Cfg.RegistryPort}
	if err != nil {
		e.Log.Error("stack up", "project", e.Cfg.Project, "error", err.Error())
		if errors.As(err, new(*stack.InterruptedError)) {
			fields["interrupted"] = true
			e.record("stack.up.interrupted", fields)
		}
		return services, err
	}
	e.record("stack.up", fields)
	if err := e.retainOnUp(ctx, sink); err != nil {
		return services, err
	}
	return services, nil
}

// retainOnUp applies esb.yaml's retention policy after up: prune every
// repository to the newest Keep tags, then gc what they held.
func (e *Env) retainOnUp(ctx context.Context, sink progress.Sink) error {
	r := e.Cfg.Retention
	if !r.OnUp || r.Keep <= 0 {
		return nil
	}
	rep := progress.Reporter{Op: "retention", Sink: sink}
	rep.Step("prune", progress.Start, fmt.Sprintf("keeping the %d newest tags per repository (%s)", r.Keep, e.Cfg.ProjectFile))
	res, err := e.Prune(ctx, r.Keep, false, nil, sink)
	if err != nil {
		return fmt.Errorf("retention after up (%s: retention.keep %d): %w", e.Cfg.ProjectFile, r.Keep, err)
	}
	deleted := 0
	for _, rp := range res.Repos {
		deleted += len(rp.Deleted)
	}
	if deleted == 0 {
		rep.Step("prune", progress.Done, "nothing to prune")
		return nil
	}
	rep.Step("prune", progress.Done, fmt.Sprintf("deleted %d tags", deleted))
	if _, err := e.GC(ctx, false, sink); err != nil {
		return fmt.Errorf("retention after up: gc: %w", err)
	}
	return nil
}

func (e *Env) up(ctx context.Context, o StackOptions, rep progress.Reporter) ([]engine.Service, error) {
	fail := func(step string, err error) error {
		rep.Emit(progress.Event{Step: step, Status: progress.Failed, Err: err.Error()})
		return err
	}

	if err := e.prepareOps(ctx, o, rep); err != nil {
		return nil, fail("auth", err)
	}
	rep.Step("compose-file", progress.Start, "loading the compose project")
	p, err := e.LoadStack(ctx, o)
	if err != nil {
		return nil, fail("compose-file", err)
	}
	if err := e.checkExposure(p); err != nil {
		return nil, fail("compose-file", err)
	}
	rep.Step("compose-file", progress.Done, fmt.Sprintf("project %s from %v (services: %v)", p.Name(), p.Files, p.Services()))

	rep.Step("certs", progress.Start, "checking certificates in "+e.Cfg.CertDir)
	if err := e.ensureStackCerts(ctx, rep.Sink); err != nil {
		return nil, fail("certs", err)
	}
	rep.Step("certs", progress.Done, "CA and server certificate ready in "+e.Cfg.CertDir)

	rep.Step("engine", progress.Start, "connecting to the Docker engine")
	eng, err := e.Engine(ctx)
	if err != nil {
		return nil, fail("engine", err)
	}
	defer eng.Close()
	rep.Step("engine", progress.Done, fmt.Sprintf("Docker engine at %s (API %s)", eng.Host, eng.APIVersion))

	if p.HasService(stack.RegistryService) {
		ri, err := e.ensureRegistryImage(ctx, eng, rep)
		if err != nil {
			return nil, fail("image", err)
		}
		o.registryImage = &ri
		e.recordRegistryImage(ri)
		if len(e.Cfg.Mirrors) > 0 && !o.NoDefault {
			ref, err := e.prepareMirrors(ctx, eng, ri, rep)
			if err != nil {
				return nil, fail("mirrors", err)
			}
			o.mirrorImage = ref
		}
		// The project again, now with the chosen image: everything below
		// changes this one.
		if p, err = e.LoadStack(ctx, o); err != nil {
			return nil, fail("compose-file", err)
		}
		if err := e.checkExposure(p); err != nil {
			return nil, fail("compose-file", err)
		}
		if copied, why := e.engineFilesCopied(ctx, eng); copied {
			rep.Step("files", progress.Start, "copying the certificate, key and htpasswd to the engine through its API ("+why+")")
			// The helper is a container of the registry image: one compose
			// would pull anyway when the engine lacks it (esbtui's own is
			// loaded above).
			if have, err := eng.HasImage(ctx, ri.Ref); err != nil || !have {
				if err == nil {
					err = eng.PullImage(ctx, ri.Ref, rep.Sink)
				}
				if err != nil {
					return nil, fail("files", err)
				}
			}
			if err := e.deliverRegistryFiles(ctx, eng, ri.Ref, false); err != nil {
				return nil, fail("files", err)
			}
			e.useRegistryFileVolumes(p)
			e.useMirrorFileVolumes(p)
			rep.Step("files", progress.Done, "copied into the volumes "+e.Cfg.Project+"_registry-certs and "+e.Cfg.Project+"_registry-auth")
		}
	}

	if err := e.applyContainerTrust(p, rep); err != nil {
		return nil, fail("trust", err)
	}

	if p.HasService(stack.RegistryService) {
		rep.Step("port", progress.Start, fmt.Sprintf("checking 127.0.0.1:%d", e.Cfg.RegistryPort))
		for _, port := range []int{e.Cfg.RegistryPort, e.debugPort()} {
			if err := engine.CheckPort(ctx, eng, port, p.Name(), stack.RegistryService); err != nil {
				return nil, fail("port", err)
			}
		}
		rep.Step("port", progress.Done, fmt.Sprintf("127.0.0.1:%d is free or already ours", e.Cfg.RegistryPort))
	}

	rep.Step("compose", progress.Start, "creating and starting services")
	services, err := stack.Up(ctx, eng, p, stack.UpOptions{WaitTimeout: o.WaitTimeout}, rep.Sink)
	if err != nil {
		return services, fail("compose", err)
	}
	rep.Step("compose", progress.Done, fmt.Sprintf("%d service(s) running and healthy", len(services)))
	e.pruneSelfImages(ctx, eng, o.registryImage, rep)

	if p.HasService(stack.RegistryService) {
		url := "https://" + e.RegistryAddr() + "/v2/"
		rep.Step("https", progress.Start, "GET "+url)
		pool, err := e.CAPool()
		if err != nil {
			return services, fail("https", err)
		}
		if err := stack.ProbeRegistry(ctx, e.RegistryAddr(), pool); err != nil {
			return services, fail("https", err)
		}
		rep.Step("https", progress.Done, url+" answers, verified against esbtui's CA")
	}
	if o.mirrorImage != "" {
		if err := e.checkMirrorsAnswer(ctx, rep); err != nil {
			return services, fail("mirrors", err)
		}
	}
	return services, nil
}

// ensureStackCerts requires an existing CA (creating one is `esbtui init`'s
// job, with trust) and renews the server certificate when it needs it.
func (e *Env) ensureStackCerts(ctx context.Context, sink progress.Sink) error {
	if _, err := e.Certs.LoadCA(); err != nil {
		if errors.Is(err, pki.ErrNoCA) || errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("up: no certificates in %s: run `esbtui init` first: %w", e.Cfg.CertDir, err)
		}
		return fmt.Errorf("up: %w", err)
	}
	if _, err := e.InitCerts(ctx, pki.Options{}, sink); err != nil {
		return fmt.Errorf("up: server certificate: %w", err)
	}
	return nil
}

// Down removes the stack's containers and networks; with volumes also its
// named volumes (the registry's data). The CLI asks before volumes.
func (e *Env) Down(ctx context.Context, o StackOptions, volumes bool, sink progress.Sink) error {
	rep := progress.Reporter{Op: "down", Sink: sink}
	p, lerr := e.LoadStack(ctx, o)
	if lerr != nil {
		rep.Step("compose-file", progress.Warning, "compose files do not load; removing containers by project label: "+lerr.Error())
		p = nil
	}
	eng, err := e.Engine(ctx)
	if err != nil {
		rep.Emit(progress.Event{Step: "engine", Status: progress.Failed, Err: err.Error()})
		return err
	}
	defer eng.Close()
	rep.Step("compose", progress.Start, "stopping and removing project "+e.Cfg.Project)
	if err := stack.Down(ctx, eng, e.Cfg.Project, p, volumes, rep.Sink); err != nil {
		rep.Emit(progress.Event{Step: "compose", Status: progress.Failed, Err: err.Error()})
		e.Log.Error("stack down", "project", e.Cfg.Project, "error", err.Error())
		return err
	}
	if volumes {
		if err := e.removeRegistryFileVolumes(ctx, eng); err != nil {
			rep.Emit(progress.Event{Step: "compose", Status: progress.Failed, Err: err.Error()})
			return err
		}
	}
	msg := "removed containers and networks (volume kept)"
	if volumes {
		msg = "removed containers, networks and volumes"
	}
	rep.Step("compose", progress.Done, msg)
	e.record("stack.down", map[string]any{"project": e.Cfg.Project, "volumes": volumes})
	return nil
}

// Serve runs the registry in this process (no engine needed) on
// 127.0.0.1:RegistryPort over TLS with our server certificate, storing
// under $ESB_HOME/registry, until ctx is done. ready is called with the
// address once it accepts requests.
func (e *Env) Serve(ctx context.Context, sink progress.Sink, ready func(addr string)) error {
	rep := progress.Reporter{Op: "serve", Sink: sink}
	stack.SetLogger(e.Log)
	rep.Step("certs", progress.Start, "checking certificates in "+e.Cfg.CertDir)
	if err := e.ensureStackCerts(ctx, rep.Sink); err != nil {
		rep.Emit(progress.Event{Step: "certs", Status: progress.Failed, Err: err.Error()})
		return err
	}
	rep.Step("certs", progress.Done, "CA and server certificate ready")
	if err := engine.CheckPort(ctx, nil, e.Cfg.RegistryPort, "", ""); err != nil {
		rep.Emit(progress.Event{Step: "port", Status: progress.Failed, Err: err.Error()})
		return err
	}
	fields := map[string]any{"port": e.Cfg.RegistryPort, "data": e.Cfg.RegistryDataDir()}
	e.record("registry.serve.start", fields)
	err := registryserver.Serve(ctx, registryserver.ServeOptions{
		Addr:     net.JoinHostPort("127.0.0.1", strconv.Itoa(e.Cfg.RegistryPort)),
		DataDir:  e.Cfg.RegistryDataDir(),
		CertFile: e.Certs.Path(pki.ServerCertFile),
		KeyFile:  e.Certs.Path(pki.ServerKeyFile),
		Ready:    ready,
	})
	e.record("registry.serve.stop", fields)
	return err
}
