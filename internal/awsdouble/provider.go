package awsdouble

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// AWSPluginVersion is the version the pulumi-aws Go SDK v6.83.4 asks the engine for
// (its go/aws/pulumi-plugin.json): the double must answer to it.
const AWSPluginVersion = "6.83.4"

// AWSProvider is the Pulumi resource provider face of the double: resource types and
// invokes of pulumi-aws, served from the store.
type AWSProvider struct {
	pulumirpc.UnimplementedResourceProviderServer
	store  *Store
	region string
}

// NewAWSProvider serves the store.
func NewAWSProvider(store *Store) *AWSProvider {
	return &AWSProvider{store: store, region: DefaultRegion}
}

var marshalOpts = plugin.MarshalOptions{KeepUnknowns: true, SkipNulls: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, marshalOpts)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, marshalOpts)
}

func marshalMap(m map[string]any) (*structpb.Struct, error) {
	return marshal(resource.NewPropertyMapFromMap(m))
}

// GetPluginInfo reports the version pulumi-aws v6.83.4 requires.
func (p *AWSProvider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: AWSPluginVersion}, nil
}

// GetSchema is minimal: nothing in the engine tests generates code from it.
func (p *AWSProvider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: `{"name":"aws","version":"` + AWSPluginVersion + `"}`}, nil
}

func (p *AWSProvider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *AWSProvider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

// Configure takes the region from the provider config (aws:region).
func (p *AWSProvider) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	if r := req.GetArgs().GetFields()["region"].GetStringValue(); r != "" {
		p.region = r
	}
	for _, k := range []string{"aws:config:region", "aws:region"} {
		if r := req.GetVariables()[k]; r != "" {
			p.region = r
		}
	}
	return &pulumirpc.ConfigureResponse{SupportsPreview: true}, nil
}

// Check refuses unknown types and unclassified inputs, and names resources the program
// leaves unnamed as pulumi-aws's autonaming does: <resource name>-<7 random hex>, cut to
// the type's length limit, and the same name again on every later Check.
func (p *AWSProvider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	token := req.GetType()
	if token == "" {
		token = string(resource.URN(req.GetUrn()).Type())
	}
	if err := CheckInputs(token, news); err != nil {
		return nil, err
	}
	rule, _ := RuleFor(token)
	if rule.AutoName > 0 && !news.HasValue("name") && !news.HasValue("namePrefix") {
		olds, err := unmarshal(req.GetOlds())
		if err != nil {
			return nil, err
		}
		if old := olds["name"]; old.IsString() && old.StringValue() != "" {
			news["name"] = old
		} else {
			news["name"] = resource.NewStringProperty(autoName(resource.URN(req.GetUrn()).Name(), rule.AutoName))
		}
	}
	inputs, err := marshal(news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs}, nil
}

// autoName is pulumi-aws's autoname: the resource name, a dash and 7 random hex digits,
// the name shortened so the whole fits maxLen.
func autoName(name string, maxLen int) string {
	const suffix = 8 // "-" + 7 hex
	if len(name)+suffix > maxLen {
		name = strings.TrimRight(name[:maxLen-suffix], "-")
	}
	return name + "-" + randomHex(7)
}

// Diff compares the old inputs with the new ones under the type's rule.
func (p *AWSProvider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
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
	token := string(resource.URN(req.GetUrn()).Type())
	changed, replaces := Changes(token, olds, news)
	detailed := map[string]*pulumirpc.PropertyDiff{}
	for _, k := range changed {
		kind := pulumirpc.PropertyDiff_UPDATE
		switch {
		case !olds.HasValue(resource.PropertyKey(k)):
			kind = pulumirpc.PropertyDiff_ADD
		case !news.HasValue(resource.PropertyKey(k)):
			kind = pulumirpc.PropertyDiff_DELETE
		}
		if slices.Contains(replaces, k) {
			kind++ // ADD, DELETE and UPDATE are each followed by their _REPLACE variant
		}
		detailed[k] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	changes := pulumirpc.DiffResponse_DIFF_NONE
	if len(changed) > 0 {
		changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	return &pulumirpc.DiffResponse{
		Changes: changes, Diffs: changed, Replaces: replaces,
		DetailedDiff: detailed, HasDetailedDiff: true, DeleteBeforeReplace: false,
	}, nil
}

// previewUnknowns are outputs an update changes, unknown until it has run.
var previewUnknowns = map[string][]string{TypeLaunchTemplate: {"latestVersion", "defaultVersion"}}

// Create creates the resource in the store: its ID and computed outputs as AWS would
// give them, after the type's AWS API constraints pass.
func (p *AWSProvider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	props, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	token := string(resource.URN(req.GetUrn()).Type())
	if req.GetPreview() {
		out, err := p.previewCreate(token, props)
		return &pulumirpc.CreateResponse{Properties: out}, err
	}
	var created *Resource
	var failure error
	err = p.store.Update(func(st *State) error {
		created, failure, err = createIn(&world{st: st, region: p.region}, token, knownMappable(props))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("creating %s %s: %w", humanType(token), resource.URN(req.GetUrn()).Name(), err)
	}
	out, err := marshalMap(created.Props)
	if err != nil {
		return nil, err
	}
	if failure != nil {
		return nil, initFailed(created.ID, out, failure)
	}
	return &pulumirpc.CreateResponse{Id: created.ID, Properties: out}, nil
}

// createIn creates a resource of token in the world. A capacity failure is returned
// apart: the resource is created (and stays), but the operation failed.
func createIn(w *world, token string, props map[string]any) (r *Resource, failure, err error) {
	b, ok := behaviours[token]
	if !ok {
		return nil, nil, fmt.Errorf("awsdouble: resource type %s is not implemented by the AWS test double", token)
	}
	id, err := b.create(w, props)
	if err != nil {
		return nil, nil, err
	}
	if _, exists := w.st.Resources[id]; exists {
		return nil, nil, apiErr("AlreadyExists", "%s %s already exists", humanType(token), id)
	}
	r = &Resource{Type: token, ID: id, Props: props}
	if err := checkConstraints(w.st, r); err != nil {
		return nil, nil, err
	}
	w.st.Resources[id] = r
	failure, err = afterWrite(w, b, r, nil)
	return r, failure, err
}

func afterWrite(w *world, b behaviour, r *Resource, old map[string]any) (failure error, err error) {
	if b.afterWrite == nil {
		return nil, nil
	}
	err = b.afterWrite(w, r, old)
	var capErr *capacityError
	if errors.As(err, &capErr) {
		return capErr, nil
	}
	return nil, err
}

// previewCreate returns the inputs and, as unknowns, the outputs create would compute.
func (p *AWSProvider) previewCreate(token string, props resource.PropertyMap) (*structpb.Struct, error) {
	out := props.Copy()
	if b, ok := behaviours[token]; ok {
		probe := knownMappable(props)
		_ = p.store.View(func(st *State) error {
			_, _ = b.create(&world{st: st, region: p.region}, probe) // errors show at the real create
			return nil
		})
		for k := range probe {
			if !props.HasValue(resource.PropertyKey(k)) {
				out[resource.PropertyKey(k)] = resource.MakeComputed(resource.NewStringProperty(""))
			}
		}
	}
	return marshal(out)
}

// knownMappable is the plain form of the known properties (unknowns left out).
func knownMappable(m resource.PropertyMap) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if !v.ContainsUnknowns() {
			out[string(k)] = v.Mappable()
		}
	}
	return out
}

func initFailed(id string, props *structpb.Struct, reason error) error {
	st, err := status.New(codes.Unknown, reason.Error()).WithDetails(&pulumirpc.ErrorResourceInitFailed{
		Id: id, Properties: props, Reasons: []string{reason.Error()},
	})
	if err != nil {
		return reason
	}
	return st.Err()
}

// Update writes the new inputs over the resource, keeping what AWS computed.
func (p *AWSProvider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	token := string(resource.URN(req.GetUrn()).Type())
	if req.GetPreview() {
		out := resource.NewPropertyMapFromMap(mergeComputed(token, knownMappable(olds), nil))
		maps.Copy(out, news)
		for _, k := range previewUnknowns[token] {
			out[resource.PropertyKey(k)] = resource.MakeComputed(resource.NewStringProperty(""))
		}
		s, err := marshal(out)
		return &pulumirpc.UpdateResponse{Properties: s}, err
	}
	var updated *Resource
	var failure error
	err = p.store.Update(func(st *State) error {
		updated, failure, err = updateIn(&world{st: st, region: p.region}, req.GetId(), knownMappable(news))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("updating %s (%s): %w", humanType(token), req.GetId(), err)
	}
	out, err := marshalMap(updated.Props)
	if err != nil {
		return nil, err
	}
	if failure != nil {
		return nil, initFailed(updated.ID, out, failure)
	}
	return &pulumirpc.UpdateResponse{Properties: out}, nil
}

func updateIn(w *world, id string, news map[string]any) (r *Resource, failure, err error) {
	cur, ok := w.st.Resources[id]
	if !ok {
		return nil, nil, apiErr("NotFound", "%s does not exist", id)
	}
	r = &Resource{Type: cur.Type, ID: id, Props: mergeComputed(cur.Type, cur.Props, news)}
	if err := checkConstraints(w.st, r); err != nil {
		return nil, nil, err
	}
	w.st.Resources[id] = r
	failure, err = afterWrite(w, behaviours[cur.Type], r, cur.Props)
	return r, failure, err
}

// Delete removes the resource; one already gone is fine, as in the provider.
func (p *AWSProvider) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	err := p.store.Update(func(st *State) error {
		r, ok := st.Resources[req.GetId()]
		if !ok {
			return nil
		}
		if b := behaviours[r.Type]; b.beforeDelete != nil {
			if err := b.beforeDelete(&world{st: st, region: p.region}, r); err != nil {
				return err
			}
		}
		delete(st.Resources, r.ID)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("deleting %s (%s): %w", humanType(string(resource.URN(req.GetUrn()).Type())), req.GetId(), err)
	}
	return &emptypb.Empty{}, nil
}

// Read returns the resource as AWS has it now — including changes made through the API
// face — and the inputs refreshed from it, as the provider's Read does.
func (p *AWSProvider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	var found *Resource
	if err := p.store.View(func(st *State) error {
		found = st.Resources[req.GetId()]
		return nil
	}); err != nil {
		return nil, err
	}
	if found == nil {
		return &pulumirpc.ReadResponse{}, nil // gone: the engine drops it from state
	}
	oldInputs, err := unmarshal(req.GetInputs())
	if err != nil {
		return nil, err
	}
	inputs := knownMappable(oldInputs)
	for k := range inputs {
		if v, ok := found.Props[k]; ok {
			inputs[k] = v
		}
	}
	props, err := marshalMap(found.Props)
	if err != nil {
		return nil, err
	}
	ins, err := marshalMap(inputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: found.ID, Properties: props, Inputs: ins}, nil
}
