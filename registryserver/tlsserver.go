package registryserver

import "crypto/tls"

// The TLS policy of esbtui's registry servers (`esbtui serve` here, the
// stack's registry container through the REGISTRY_HTTP_TLS_* variables in
// compose.yaml, which name the same suites): TLS 1.2 or 1.3, and in TLS 1.2
// only ECDHE key exchange with an AEAD cipher. No CBC suites (their
// MAC-then-encrypt padding has a long history of oracles, and the ones Go
// still enables use SHA-1), no RSA key exchange (no forward secrecy). All
// TLS 1.3 suites are AEAD; Go does not let them be configured.
const serverMinTLS = tls.VersionTLS12

// ServerCipherSuites are the TLS 1.2 suites offered, strongest first (the
// stack's compose.yaml names the same ones).
func ServerCipherSuites() []uint16 {
	return []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	}
}

// serverTLSConfig is the server side of that policy for cert.
func serverTLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   serverMinTLS,
		CipherSuites: ServerCipherSuites(),
	}
}
