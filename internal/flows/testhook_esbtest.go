//go:build esbtest

package flows

import (
	"context"
	"os"

	"github.com/esbtui/esbtui/stack/engine"
)

// beforeComposeUp stands in for another esbtui pruning this binary's
// registry image between up's load and compose's create: with
// ESB_TEST_HOOK=remove-self-image it removes the image before the first
// compose up (attempt 0) only. Only binaries built with the esbtest tag
// read it.
func beforeComposeUp(ctx context.Context, eng *engine.Engine, ri *RegistryImage, attempt int) {
	if attempt != 0 || ri == nil || ri.Source != ImageSourceSelf || os.Getenv("ESB_TEST_HOOK") != "remove-self-image" {
		return
	}
	_ = eng.RemoveImage(ctx, ri.Ref)
}
