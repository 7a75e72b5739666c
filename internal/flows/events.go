package flows

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"

	"github.com/esbtui/esbtui/registryserver"
)

// EventsPort is the host port esbtui's notification listener uses: the
// registry port + 2.
func (e *Env) EventsPort() int { return e.Cfg.RegistryPort + 2 }

func (e *Env) eventsTokenFile() string { return filepath.Join(e.authDir(), "events-token") }

// eventsToken is the bearer token the registry sends with notifications
// (created once, 0600).
func (e *Env) eventsToken() (string, error) {
	if t, err := registryserver.ReadSecret(e.eventsTokenFile()); err == nil && t != "" {
		return t, nil
	}
	t, err := registryserver.NewPassword()
	if err != nil {
		return "", err
	}
	if err := registryserver.WriteSecret(e.eventsTokenFile(), t); err != nil {
		return "", fmt.Errorf("events: %w", err)
	}
	return t, nil
}

// notificationsYAML is the registry's endpoint list: POST to esbtui's
// listener on the host, with the token. While no esbtui listens the
// registry queues events in memory and retries (every 5 s after 3
// failures), so a listener started later receives them. Blob pushes and
// pulls (media type application/octet-stream: about two thirds of all
// events, none of which esbtui shows) are dropped by the registry before
// its queue; blob deletes carry no media type and still arrive.
func (e *Env) notificationsYAML() string {
	token, err := e.eventsToken()
	if err != nil {
		e.Log.Warn("registry notifications off", "error", err.Error())
		return ""
	}
	return fmt.Sprintf(`[{name: esbtui, url: "http://host.docker.internal:%d%s", headers: {Authorization: ["Bearer %s"]}, timeout: 2s, threshold: 3, backoff: 5s, ignore: {mediatypes: [application/octet-stream]}}]`,
		e.EventsPort(), registryserver.EventsPath, token)
}

// WatchRegistryEvents listens for the registry's notifications (pushes,
// pulls, deletes by any client) until ctx is done, on the address
// containers reach as host.docker.internal at EventsPort. The channel
// closes when ctx ends. Only one listener per registry can run (the
// dashboard or `esbtui events`).
func (e *Env) WatchRegistryEvents(ctx context.Context) (*EventsListener, error) {
	token, err := e.eventsToken()
	if err != nil {
		return nil, err
	}
	host := ""
	if e.Cfg.HostGateway.IsValid() {
		host = e.Cfg.HostGateway.String()
	} else {
		eng, err := e.Engine(ctx)
		if err != nil {
			return nil, err
		}
		gw, err := eng.HostGatewayIP(ctx)
		eng.Close()
		if err != nil {
			return nil, err
		}
		host = gw.IP.String()
		e.Log.Info("host gateway", "ip", host, "from", gw.Source)
	}
	l, err := registryserver.ListenEvents(ctx, net.JoinHostPort(host, strconv.Itoa(e.EventsPort())), token)
	if err != nil {
		return nil, err
	}
	e.Log.Info("registry events listener", "addr", l.Addr())
	return &EventsListener{Events: l.Events(), Addr: l.Addr(), Stopped: l.Err}, nil
}

// EventsListener is a running listener for the registry's notifications.
type EventsListener struct {
	// Events closes when the listener stops: ctx ended, or its server
	// died (Stopped then says why).
	Events <-chan RegistryEvent
	// Addr is where it listens (host:port).
	Addr string
	// Stopped is why Events closed before ctx ended; nil otherwise, and
	// while it runs.
	Stopped func() error
}
