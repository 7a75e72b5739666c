//go:build !esbtest

package flows

import (
	"context"

	"github.com/esbtui/esbtui/stack/engine"
)

// beforeComposeUp is a no-op in every build but the tests' (build tag
// esbtest, testhook_esbtest.go): a release binary cannot be told to remove
// its own image.
func beforeComposeUp(context.Context, *engine.Engine, *RegistryImage, int) {}
