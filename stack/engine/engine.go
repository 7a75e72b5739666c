package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/docker/cli/cli/command"
	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/flags"
	"github.com/docker/compose/v5/pkg/api"
	"github.com/docker/compose/v5/pkg/compose"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/versions"
)

// Engine is a connection to a Docker engine that answered a Ping with an
// API version esbtui supports.
type Engine struct {
	// Host is the engine address (unix:///var/run/docker.sock, tcp://...).
	Host string
	// APIVersion is the negotiated API version.
	APIVersion string
	// BuildKit reports whether the engine builds with BuildKit (Ping's
	// builder version "2"); 20.10 reports nothing and builds classically.
	BuildKit bool

	api client.APIClient
	cli *command.DockerCli
	// log receives what esbtui's own engine calls cannot return (a
	// best-effort cleanup that failed); nil drops it.
	log *slog.Logger
}

func (e *Engine) logger() *slog.Logger {
	if e.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.log
}

// Connect resolves the engine the way the docker CLI does (DOCKER_HOST,
// DOCKER_CONTEXT, the current context in ~/.docker/config.json), pings it
// and negotiates the API version. It returns an *EngineUnreachableError,
// *EnginePermissionError or *EngineTooOldError for the cases a user fixes.
// log (esbtui's log; nil drops it) receives failures of best-effort
// cleanups, such as a one-off container that could not be removed.
func Connect(ctx context.Context, log *slog.Logger) (*Engine, error) {
	opts := flags.NewClientOptions()
	cfgFile := config.LoadDefaultConfigFile(io.Discard)
	apiClient, err := command.NewAPIClientFromFlags(opts, cfgFile)
	if err != nil {
		return nil, fmt.Errorf("stack: configure the Docker client (DOCKER_HOST=%q, DOCKER_CONTEXT=%q): %w", os.Getenv("DOCKER_HOST"), os.Getenv("DOCKER_CONTEXT"), err)
	}
	host := apiClient.DaemonHost()
	ping, err := apiClient.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	if ping.APIVersion != "" && versions.LessThan(ping.APIVersion, MinAPIVersion) {
		apiClient.Close()
		return nil, &EngineTooOldError{Host: host, APIVersion: ping.APIVersion}
	}
	if err != nil {
		apiClient.Close()
		return nil, classifyPingError(ctx, host, err)
	}
	dcli, err := command.NewDockerCli(
		command.WithOutputStream(io.Discard),
		command.WithErrorStream(io.Discard),
		command.WithInputStream(io.NopCloser(strings.NewReader(""))),
		command.WithAPIClient(apiClient),
	)
	if err != nil {
		apiClient.Close()
		return nil, fmt.Errorf("stack: set up the Docker CLI for Compose: %w", err)
	}
	if err := dcli.Initialize(opts); err != nil {
		apiClient.Close()
		return nil, fmt.Errorf("stack: set up the Docker CLI for Compose: %w", err)
	}
	return &Engine{Host: host, APIVersion: apiClient.ClientVersion(), BuildKit: ping.BuilderVersion == build.BuilderBuildKit, api: apiClient, cli: dcli, log: log}, nil
}

func classifyPingError(ctx context.Context, host string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("stack: ping the Docker engine at %s: %w", host, err)
	}
	if errors.Is(err, os.ErrPermission) || strings.Contains(err.Error(), "permission denied") {
		return &EnginePermissionError{Host: host, Err: err}
	}
	return &EngineUnreachableError{Host: host, Err: err}
}

// Client is the engine API client (for image save/load/push by other
// packages through internal/flows). It stays valid until Close.
func (e *Engine) Client() client.APIClient { return e.api }

// ServerVersion asks the engine for its version ("20.10.24").
func (e *Engine) ServerVersion(ctx context.Context) (string, error) {
	v, err := e.api.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return "", fmt.Errorf("stack: engine version at %s: %w", e.Host, err)
	}
	return v.Version, nil
}

// Close releases the connection.
func (e *Engine) Close() error {
	if e == nil || e.api == nil {
		return nil
	}
	return e.api.Close()
}

// Compose is a Compose service on this engine that sends its resource
// events to events (nil drops them) and never prompts or writes to the
// terminal. The stack drives up and down through it; Ps reads with it.
func (e *Engine) Compose(events api.EventProcessor) (api.Compose, error) {
	svc, err := compose.NewComposeService(e.cli,
		compose.WithEventProcessor(events),
		compose.WithPrompt(compose.AlwaysOkPrompt()),
		compose.WithStreams(io.Discard, io.Discard, strings.NewReader("")),
	)
	if err != nil {
		return nil, fmt.Errorf("stack: set up Compose: %w", err)
	}
	return svc, nil
}
