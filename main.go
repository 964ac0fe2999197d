package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webapi-platform/infra/infra"
)

func main() {
	pulumi.Run(infra.Program)
}
