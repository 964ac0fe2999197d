// Package awsdouble is the AWS test double of the engine tests: one store of AWS
// resources with two faces.
//
//   - The provider face: cmd/pulumi-resource-aws, a Pulumi resource provider plugin
//     that the real engine loads instead of pulumi-aws (it answers to version 6.83.4,
//     the one the pulumi-aws Go SDK asks for). It implements every resource type and
//     invoke infra.Program uses, with the real provider's replacement rules (rules.go,
//     each type citing its terraform-provider-aws file; an input without a rule is
//     refused, so the double fails closed) and the AWS API constraints that matter
//     here (constraints.go), checked at create and update time against the store.
//     cmd/pulumi-resource-command is pulumi-command's double (version 1.2.0): it runs
//     local commands for real.
//   - The API face: ELBv2, AutoScaling and CloudWatch, with the aws-sdk-go-v2 clients'
//     method shapes (ELBv2API, AutoScalingAPI, CloudWatchAPI), and Double's scripting
//     helpers to make live AWS diverge from Pulumi's state (target health, instance
//     refreshes, metric minutes, alarm states, a ModifyListener from someone else).
//
// The store is a JSON file (StateEnv names it) under flock with atomic replacement,
// so every plugin process — one per engine run — and the test itself share it.
// Install builds the plugins once per test binary and returns the Env a test sets:
// a PULUMI_HOME whose plugin cache holds them, the store's path and the pinned CLI on
// PATH. The account is always 000000000000.
package awsdouble
