//go:build !esbtest

package flows

// simulatedEnginePlatform is a no-op in every build but the tests' (build
// tag esbtest, engine_platform_esbtest.go): a release binary always asks
// the engine.
func simulatedEnginePlatform() (osType, arch string, ok bool) { return "", "", false }
