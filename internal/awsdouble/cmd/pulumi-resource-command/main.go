// Command pulumi-resource-command is the test double of pulumi-command's provider, for
// engine tests only: it runs command:local:Command's commands for real (see
// awsdouble.Install).
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/webapi-platform/infra/internal/awsdouble"
)

func main() {
	if err := provider.Main("command", func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return awsdouble.NewCommandProvider(host), nil
	}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
