package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/enginetest"
	"github.com/webapi-platform/infra/internal/release"
	"github.com/webapi-platform/infra/internal/testutil"
)

// A stack config the CLI itself refuses (a string where Pulumi.yaml declares an array)
// fails before the CLI writes any engine event; the Automation API then never closes
// the event stream, and waiting for it hung the tool (and a test) forever.
func TestEngineFailsFastWhenTheCLIRefusesBeforeAnyEvent(t *testing.T) {
	t.Parallel()
	w := enginetest.New(t, enginetest.Options{Stacks: map[infra.Color]testutil.StackConfig{
		infra.Blue: testutil.Blue("ingressCidrs", "203.0.113.0/24"),
	}})
	for name, run := range map[string]func(context.Context) error{
		"preview": func(ctx context.Context) error {
			_, err := w.Engine.Preview(ctx, infra.Blue, release.UpOptions{})
			return err
		},
		"up": func(ctx context.Context) error {
			_, err := w.Engine.Up(ctx, infra.Blue, release.UpOptions{})
			return err
		},
	} {
		done := make(chan error, 1)
		go func() { done <- run(context.Background()) }()
		select {
		case err := <-done:
			require.Error(t, err, name)
			require.Contains(t, err.Error(), "ingressCidrs", name)
		case <-time.After(90 * time.Second):
			t.Fatalf("%s: still waiting for the engine after 90s", name)
		}
	}
}
