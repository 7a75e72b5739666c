package engine

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// bridgeNameOption is the default bridge network's option that names its
// host interface (docker0 unless dockerd runs with --bridge).
const bridgeNameOption = "com.docker.network.bridge.name"

// HostGateway is the host address containers reach as
// host.docker.internal (extra_hosts "host-gateway"), and where it came from.
type HostGateway struct {
	IP netip.Addr
	// Source says how it was found, for logs and doctor: "Docker
	// Desktop", "bridge IPAM gateway", "interface docker0", "bridge
	// subnet 172.17.0.0/16".
	Source string
}

// HostGatewayIP is the host address containers reach as
// host.docker.internal: loopback on Docker Desktop (which forwards
// host.docker.internal to the host's 127.0.0.1), else the default bridge's
// gateway, which dockerd itself resolves "host-gateway" to. A listener for
// the containers binds there, not on 0.0.0.0.
func (e *Engine) HostGatewayIP(ctx context.Context) (HostGateway, error) {
	info, err := e.api.Info(ctx, client.InfoOptions{})
	if err != nil {
		return HostGateway{}, fmt.Errorf("stack: engine info at %s: %w", e.Host, err)
	}
	if strings.Contains(info.Info.OperatingSystem, "Docker Desktop") {
		return HostGateway{IP: netip.AddrFrom4([4]byte{127, 0, 0, 1}), Source: "Docker Desktop"}, nil
	}
	if isRootless(info.Info.SecurityOptions) {
		return HostGateway{}, &HostGatewayError{Host: e.Host, Reason: "rootless Docker: the containers' host-gateway is the bridge inside rootlesskit's network namespace, which esbtui on the host cannot listen on"}
	}
	n, err := e.api.NetworkInspect(ctx, "bridge", client.NetworkInspectOptions{})
	if err != nil {
		return HostGateway{}, fmt.Errorf("stack: inspect the engine's default bridge network (for host.docker.internal): %w", err)
	}
	return bridgeGateway(n.Network.IPAM.Config, n.Network.Options[bridgeNameOption], interfaceAddrs)
}

// bridgeGateway finds the default bridge's IPv4 gateway without trusting
// IPAM's Gateway field alone: a freshly started dockerd 20.10 (one that
// created docker0 itself) reports the subnet with no gateway. In order:
// the IPAM gateway; the bridge interface's own address in the subnet (the
// engine is on this host); the subnet's first address, the gateway
// Docker's default IPAM assigns.
func bridgeGateway(cfg []network.IPAMConfig, ifname string, addrs func(string) ([]netip.Prefix, error)) (HostGateway, error) {
	var subnet netip.Prefix
	for _, c := range cfg {
		if c.Gateway.IsValid() && c.Gateway.Is4() {
			return HostGateway{IP: c.Gateway, Source: "bridge IPAM gateway"}, nil
		}
		if !subnet.IsValid() && c.Subnet.IsValid() && c.Subnet.Addr().Is4() {
			subnet = c.Subnet.Masked()
		}
	}
	if ifname != "" {
		if pfx, err := addrs(ifname); err == nil {
			for _, p := range pfx {
				a := p.Addr().Unmap()
				if a.Is4() && (!subnet.IsValid() || subnet.Contains(a)) {
					return HostGateway{IP: a, Source: "interface " + ifname}, nil
				}
			}
		}
	}
	if subnet.IsValid() && subnet.Bits() <= 30 {
		return HostGateway{IP: subnet.Addr().Next(), Source: "bridge subnet " + subnet.String()}, nil
	}
	return HostGateway{}, &HostGatewayError{Reason: "the engine's default bridge network has no IPv4 subnet or gateway"}
}

// interfaceAddrs lists the addresses of the local interface name.
func interfaceAddrs(name string) ([]netip.Prefix, error) {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return nil, err
	}
	as, err := ifc.Addrs()
	if err != nil {
		return nil, err
	}
	var out []netip.Prefix
	for _, a := range as {
		if n, ok := a.(*net.IPNet); ok {
			if p, err := netip.ParsePrefix(n.String()); err == nil {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

func isRootless(securityOptions []string) bool {
	for _, o := range securityOptions {
		for _, kv := range strings.Split(o, ",") {
			if kv == "name=rootless" {
				return true
			}
		}
	}
	return false
}
