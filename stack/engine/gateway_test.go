package engine

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/moby/moby/api/types/network"
)

func TestBridgeGateway(t *testing.T) {
	subnet := netip.MustParsePrefix("172.17.0.0/16")
	v6 := netip.MustParsePrefix("fd00:1::/64")
	noIf := func(string) ([]netip.Prefix, error) { return nil, errors.New("no such interface") }
	ifAddrs := func(p ...string) func(string) ([]netip.Prefix, error) {
		return func(string) ([]netip.Prefix, error) {
			var out []netip.Prefix
			for _, s := range p {
				out = append(out, netip.MustParsePrefix(s))
			}
			return out, nil
		}
	}
	cases := []struct {
		name   string
		cfg    []network.IPAMConfig
		ifname string
		addrs  func(string) ([]netip.Prefix, error)
		want   string
		source string
	}{
		{"IPAM gateway (restarted engine)", []network.IPAMConfig{{Subnet: subnet, Gateway: netip.MustParseAddr("172.17.0.1")}}, "docker0", noIf, "172.17.0.1", "bridge IPAM gateway"},
		{"first-started engine: no gateway, the interface's address", []network.IPAMConfig{{Subnet: subnet}}, "docker0", ifAddrs("fe80::1/64", "172.17.0.1/16"), "172.17.0.1", "interface docker0"},
		{"a --bip address that is not the subnet's first", []network.IPAMConfig{{Subnet: netip.MustParsePrefix("10.9.0.0/24")}}, "docker0", ifAddrs("10.9.0.254/24"), "10.9.0.254", "interface docker0"},
		{"interface address outside the subnet (another engine's bridge)", []network.IPAMConfig{{Subnet: subnet}}, "docker0", ifAddrs("10.0.0.1/8"), "172.17.0.1", "bridge subnet 172.17.0.0/16"},
		{"remote engine: no local interface, Docker's rule", []network.IPAMConfig{{Subnet: subnet}}, "docker0", noIf, "172.17.0.1", "bridge subnet 172.17.0.0/16"},
		{"no bridge name option", []network.IPAMConfig{{Subnet: netip.MustParsePrefix("192.168.5.0/24")}}, "", noIf, "192.168.5.1", "bridge subnet 192.168.5.0/24"},
		{"IPv6 entry first", []network.IPAMConfig{{Subnet: v6, Gateway: netip.MustParseAddr("fd00:1::1")}, {Subnet: subnet}}, "docker0", noIf, "172.17.0.1", "bridge subnet 172.17.0.0/16"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gw, err := bridgeGateway(c.cfg, c.ifname, c.addrs)
			if err != nil {
				t.Fatal(err)
			}
			if gw.IP.String() != c.want || gw.Source != c.source {
				t.Errorf("got %s from %q, want %s from %q", gw.IP, gw.Source, c.want, c.source)
			}
		})
	}
	for _, cfg := range [][]network.IPAMConfig{nil, {{Subnet: v6}}, {{Subnet: netip.MustParsePrefix("10.0.0.0/31")}}} {
		_, err := bridgeGateway(cfg, "docker0", noIf)
		var ge *HostGatewayError
		if !errors.As(err, &ge) {
			t.Errorf("%v: got %v, want a HostGatewayError", cfg, err)
		}
	}
}

func TestIsRootless(t *testing.T) {
	if !isRootless([]string{"name=seccomp,profile=default", "name=rootless"}) {
		t.Error("rootless not seen")
	}
	if isRootless([]string{"name=seccomp,profile=default", "name=cgroupns"}) {
		t.Error("rootful seen as rootless")
	}
}
