// Command pulumi-resource-aws is the AWS test double's Pulumi provider plugin, for
// engine tests only: the engine loads it instead of the real AWS provider (see
// awsdouble.Install). Its state is the JSON file named by WEBAPI_AWSDOUBLE_STATE.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/webapi-platform/infra/internal/awsdouble"
)

func main() {
	store, err := awsdouble.OpenStoreFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := provider.Main("aws", func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return awsdouble.NewAWSProvider(store), nil
	}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
