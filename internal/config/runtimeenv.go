package config

import "os"

// RuntimeCAVars are the variables that point runtimes with their own trust
// store at a CA file (`esbtui env` prints them; `trust status` reads them).
var RuntimeCAVars = []string{"NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE", "JAVA_TOOL_OPTIONS"}

// runtimeCAEnv is the set ones of RuntimeCAVars in the environment.
func runtimeCAEnv() map[string]string {
	m := map[string]string{}
	for _, k := range RuntimeCAVars {
		if v, ok := os.LookupEnv(k); ok {
			m[k] = v
		}
	}
	return m
}
