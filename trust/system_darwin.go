//go:build darwin

package trust

// On macOS the system store is the System keychain, driven through the
// `security` tool by keychainStore (keychain.go: platform-neutral so its
// plans are tested on every OS). What differs on a Mac at run time is where
// Firefox keeps its profiles.
var firefoxProfileRoots = []string{"Library/Application Support/Firefox/Profiles"}
