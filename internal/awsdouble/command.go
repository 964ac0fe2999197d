package awsdouble

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

// CommandPluginVersion is the version the pulumi-command Go SDK v1.2.0 asks for (its
// go/command/pulumi-plugin.json).
const CommandPluginVersion = "1.2.0"

// TypeCommand is the one type the command double implements.
const TypeCommand = "command:local:Command"

// commandInputs are command:local:Command's inputs (sdk/go/command/local/command.go of
// pulumi-command v1.2.0). Only triggers force a replacement: "If the update command was
// provided the resource will be updated, otherwise it will be replaced using the create
// command" — and the SDK's NewCommand adds ReplaceOnChanges("triggers[*]"). Any other
// change is an update, which runs update, or create again when there is no update ("If
// an update command isn't provided, then create will also be run when the resource's
// inputs are modified").
var commandInputs = []string{"addPreviousOutputInEnv", "archivePaths", "assetPaths", "create", "delete", "dir",
	"environment", "interpreter", "logging", "stdin", "triggers", "update"}

// CommandProvider runs local commands for real, as pulumi-command does.
type CommandProvider struct {
	pulumirpc.UnimplementedResourceProviderServer
	host *provider.HostClient // nil in unit tests: nothing is logged
}

// NewCommandProvider logs command output through host when it is not nil.
func NewCommandProvider(host *provider.HostClient) *CommandProvider {
	return &CommandProvider{host: host}
}

func (p *CommandProvider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: CommandPluginVersion}, nil
}

func (p *CommandProvider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: `{"name":"command","version":"` + CommandPluginVersion + `"}`}, nil
}

func (p *CommandProvider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *CommandProvider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *CommandProvider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{SupportsPreview: true}, nil
}

// Check fails closed on an input pulumi-command v1.2.0 does not have.
func (p *CommandProvider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	for _, k := range news.StableKeys() {
		if !slices.Contains(commandInputs, string(k)) && !strings.HasPrefix(string(k), "__") {
			return nil, fmt.Errorf("awsdouble: %s: input %s is not an input of pulumi-command v1.2.0", TypeCommand, k)
		}
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// Diff: triggers replace, anything else updates.
func (p *CommandProvider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	oldStruct := req.GetOldInputs()
	if oldStruct == nil {
		oldStruct = req.GetOlds()
	}
	olds, err := unmarshal(oldStruct)
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var changed, replaces []string
	for _, k := range commandInputs {
		key := resource.PropertyKey(k)
		if olds[key].DeepEquals(news[key]) {
			continue
		}
		changed = append(changed, k)
		if k == "triggers" {
			replaces = append(replaces, k)
		}
	}
	changes := pulumirpc.DiffResponse_DIFF_NONE
	if len(changed) > 0 {
		changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	return &pulumirpc.DiffResponse{Changes: changes, Diffs: changed, Replaces: replaces}, nil
}

// Create runs create; stdout and stderr become outputs (unknown in a preview, where
// nothing runs).
func (p *CommandProvider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	props, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	out, err := p.run(ctx, req.GetPreview(), resource.URN(req.GetUrn()), props, "create", nil)
	if err != nil {
		return nil, err
	}
	s, err := marshal(out)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: "cmd-" + randomHex(16), Properties: s}, nil
}

// Update runs update, or create when there is none.
func (p *CommandProvider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	which := "create"
	if v := news["update"]; v.IsString() && v.StringValue() != "" {
		which = "update"
	}
	out, err := p.run(ctx, req.GetPreview(), resource.URN(req.GetUrn()), news, which, olds)
	if err != nil {
		return nil, err
	}
	s, err := marshal(out)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: s}, nil
}

// Delete runs delete when it is set.
func (p *CommandProvider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	props, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if v := props["delete"]; v.IsString() && v.StringValue() != "" {
		if _, err := p.run(ctx, false, resource.URN(req.GetUrn()), props, "delete", props); err != nil {
			return nil, err
		}
	}
	return &emptypb.Empty{}, nil
}

func (p *CommandProvider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

// run runs the command named by which (create, update or delete) with the resource's
// interpreter (sh -c by default), dir, environment and stdin. previous, when given and
// addPreviousOutputInEnv is not false, passes its stdout and stderr in
// PULUMI_COMMAND_STDOUT and PULUMI_COMMAND_STDERR.
func (p *CommandProvider) run(ctx context.Context, preview bool, urn resource.URN, props resource.PropertyMap,
	which string, previous resource.PropertyMap,
) (resource.PropertyMap, error) {
	out := props.Copy()
	if preview {
		out["stdout"] = resource.MakeComputed(resource.NewStringProperty(""))
		out["stderr"] = resource.MakeComputed(resource.NewStringProperty(""))
		return out, nil
	}
	in := knownMappable(props)
	interp := strList(in, "interpreter")
	if len(interp) == 0 {
		interp = []string{"/bin/sh", "-c"}
	}
	cmd := exec.CommandContext(ctx, interp[0], append(interp[1:], str(in, which))...)
	cmd.Dir = str(in, "dir")
	cmd.Env = os.Environ()
	for _, k := range sortedKeys(obj(in, "environment")) {
		cmd.Env = append(cmd.Env, k+"="+str(obj(in, "environment"), k))
	}
	if previous != nil && (in["addPreviousOutputInEnv"] == nil || boolean(in, "addPreviousOutputInEnv")) {
		prev := knownMappable(previous)
		cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDOUT="+str(prev, "stdout"), "PULUMI_COMMAND_STDERR="+str(prev, "stderr"))
	}
	cmd.Stdin = strings.NewReader(str(in, "stdin"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	p.log(ctx, urn, str(in, "logging"), stdout.String(), stderr.String())
	if err != nil {
		return nil, fmt.Errorf("%s: running %q: %w: %s", urn.Name(), str(in, which), err, stderr.String())
	}
	if which != "delete" {
		out["stdout"] = resource.NewStringProperty(strings.TrimSuffix(stdout.String(), "\n"))
		out["stderr"] = resource.NewStringProperty(strings.TrimSuffix(stderr.String(), "\n"))
	}
	return out, nil
}

// log sends the command's output to the engine as logging asks (stdoutAndStderr by
// default, stdout, stderr or none).
func (p *CommandProvider) log(ctx context.Context, urn resource.URN, logging, stdout, stderr string) {
	if p.host == nil || logging == "none" {
		return
	}
	if logging != "stderr" && stdout != "" {
		_ = p.host.Log(ctx, diag.Info, urn, stdout) // logging is best effort, as in the provider
	}
	if logging != "stdout" && stderr != "" {
		_ = p.host.Log(ctx, diag.Info, urn, stderr)
	}
}
