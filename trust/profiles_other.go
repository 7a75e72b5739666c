//go:build !darwin && !windows

package trust

// firefoxProfileRoots are the directories under $HOME holding Firefox
// profiles (each with its cert9.db): the classic one and the snap's.
var firefoxProfileRoots = []string{".mozilla/firefox", "snap/firefox/common/.mozilla/firefox"}
