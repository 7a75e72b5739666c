package stack

import (
	"context"
	"fmt"
	"strings"

	"github.com/moby/moby/client"
)

// HostGatewayIP is the host address containers reach as
// host.docker.internal (extra_hosts "host-gateway"): the default bridge's
// gateway on a Linux engine, loopback on Docker Desktop (which forwards
// host.docker.internal to the host's 127.0.0.1). A listener for the
// containers binds there, not on 0.0.0.0.
func (e *Engine) HostGatewayIP(ctx context.Context) (string, error) {
	info, err := e.api.Info(ctx, client.InfoOptions{})
	if err != nil {
		return "", fmt.Errorf("stack: engine info at %s: %w", e.Host, err)
	}
	if strings.Contains(info.Info.OperatingSystem, "Docker Desktop") {
		return "127.0.0.1", nil
	}
	n, err := e.api.NetworkInspect(ctx, "bridge", client.NetworkInspectOptions{})
	if err != nil {
		return "", fmt.Errorf("stack: inspect the engine's default bridge network (for host.docker.internal): %w", err)
	}
	for _, c := range n.Network.IPAM.Config {
		if c.Gateway.IsValid() && c.Gateway.Is4() {
			return c.Gateway.String(), nil
		}
	}
	return "", fmt.Errorf("stack: the engine's default bridge network has no IPv4 gateway: set ESB_HOST_GATEWAY to an address of this host that containers reach")
}
