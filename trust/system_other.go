//go:build !windows

package trust

// windowsCertAPI is nil off Windows: the ROOT store does not apply.
func windowsCertAPI() winCertAPI { return nil }
