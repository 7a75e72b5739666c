package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// commandPaths are every command of the tree, as typed after "esbtui" (""
// is the root itself).
var commandPaths = []string{
	"",
	"audit",
	"auth", "auth rotate", "auth status",
	"backup",
	"build",
	"catalog",
	"cert", "cert export", "cert rotate", "cert show",
	"copy",
	"doctor",
	"down",
	"env",
	"events",
	"gc",
	"init",
	"inspect",
	"logs",
	"metrics",
	"mirror", "mirror add", "mirror install", "mirror ls", "mirror rm", "mirror uninstall",
	"prune",
	"pull",
	"push",
	"restore",
	"rm",
	"serve",
	"sign",
	"status",
	"tags",
	"trust", "trust containers", "trust install", "trust status", "trust uninstall",
	"up",
	"verify",
	"version",
}

// The tree newRootCmd builds has every command once, and nothing else: a
// command left out of the list (or listed twice) fails here.
func TestCommandTreeListsEveryVerb(t *testing.T) {
	var got, hidden []string
	var walk func(c *cobra.Command, prefix string)
	walk = func(c *cobra.Command, prefix string) {
		for _, sub := range c.Commands() {
			p := strings.TrimSpace(prefix + " " + sub.Name())
			if sub.Hidden {
				hidden = append(hidden, p)
				continue
			}
			got = append(got, p)
			walk(sub, p)
		}
	}
	root := newRootCmd(newApp(strings.NewReader(""), io.Discard, io.Discard))
	walk(root, "")
	got = append([]string{""}, got...)
	if !slices.Equal(got, commandPaths) {
		t.Errorf("command tree\n%q\nwant\n%q", got, commandPaths)
	}
	// The registry image's entrypoint: not for users, not in the help.
	if want := []string{"registryd"}; !slices.Equal(hidden, want) {
		t.Errorf("hidden commands %q, want %q", hidden, want)
	}
}

// updateHelpGolden rewrites testdata/help.golden from the current tree
// (go test ./cmd/esbtui -run TestHelpOfEveryCommandUnchanged -update-help) when a
// command or flag is added on purpose; review the diff.
var updateHelpGolden = flag.Bool("update-help", false, "rewrite testdata/help.golden")

// testdata/help.golden is the --help output of every command, captured from
// the binary built before the commands were listed explicitly (one section
// per command: "=== esbtui PATH --help", the output, "exit CODE"). The help
// text of the whole tree is the CLI's contract with its users and scripts.
func TestHelpOfEveryCommandUnchanged(t *testing.T) {
	want, err := os.ReadFile("testdata/help.golden")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("ESB_HOME", t.TempDir())
	var got bytes.Buffer
	for _, p := range commandPaths {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append(strings.Fields(p), "--help"), strings.NewReader(""), &out, &errOut)
		fmt.Fprintf(&got, "=== esbtui %s --help\n%s%sexit %d\n", p, out.String(), errOut.String(), code)
	}
	if *updateHelpGolden {
		if err := os.WriteFile("testdata/help.golden", got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got.String() != string(want) {
		wl, gl := strings.Split(string(want), "\n"), strings.Split(got.String(), "\n")
		for i := 0; i < len(wl) || i < len(gl); i++ {
			var w, g string
			if i < len(wl) {
				w = wl[i]
			}
			if i < len(gl) {
				g = gl[i]
			}
			if w != g {
				t.Fatalf("help differs from testdata/help.golden at line %d:\n got: %q\nwant: %q", i+1, g, w)
			}
		}
	}
}
