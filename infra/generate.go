package infra

// The README's configuration reference is generated from Pulumi.yaml: `go generate ./...`
// rewrites it, and TestReadmeConfigReferenceIsCurrent fails while it is stale.
//go:generate go run github.com/webapi-platform/infra/scripts/readmegen -project ../Pulumi.yaml -readme ../README.md
