package flows

// doctorChain is every link of the doctor's chain, in the order Doctor
// checks them. A link's needs name links before it: when one of those failed
// or was skipped, the link is skipped too.
func doctorChain() []doctorCheck {
	return []doctorCheck{
		{name: "root CA", run: checkCA},
		{name: "server certificate", needs: []string{"root CA"}, run: checkServerCert},
		{name: "trust", needs: []string{"root CA"}, many: checkTrustStores},
		{name: "container engine", run: checkEngine},
		{name: "engine certs.d", needs: []string{"root CA"}, run: checkCertsD},
		{name: "stack services", needs: []string{"container engine"}, run: checkStack},
		{name: "containers trust the CA", needs: []string{"stack services"}, run: checkContainersTrust},
		{name: "TLS to registry (system roots)", needs: []string{"server certificate"}, run: checkTLSSystemRoots},
		{name: "registry API /v2/", needs: []string{"TLS to registry (system roots)"}, run: checkV2},
		{name: "probe push → pull → run", needs: []string{"container engine", "registry API /v2/"}, run: checkProbe},
		{name: "alerts", many: checkAlerts},
		{name: "engine uses the mirror", needs: []string{"root CA"}, many: checkEngineUsesMirror},
		{name: "mirror reaches its upstream", needs: []string{"container engine"}, many: checkMirrorReachesUpstream},
	}
}
