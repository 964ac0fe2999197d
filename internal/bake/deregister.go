package bake

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// ImageAPI is the part of EC2 that Deregister uses, shaped like *ec2.Client's methods.
type ImageAPI interface {
	DescribeImages(context.Context, *ec2.DescribeImagesInput, ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error)
	DeregisterImage(context.Context, *ec2.DeregisterImageInput, ...func(*ec2.Options)) (*ec2.DeregisterImageOutput, error)
	DeleteSnapshot(context.Context, *ec2.DeleteSnapshotInput, ...func(*ec2.Options)) (*ec2.DeleteSnapshotOutput, error)
}

// NewImageAPI is an EC2 client for region with the SDK's default credential chain.
func NewImageAPI(ctx context.Context, region string) (ImageAPI, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	return ec2.NewFromConfig(cfg), nil
}

// DefaultProject is what the templates tag as the project when PKR_VAR_project is not
// set (var.project's default), and the tag every AMI baked before the variable existed
// carries: a bake resource deployed then is deleted with its old environment.
const DefaultProject = "webapi"

// TagMismatchError is Deregister's refusal: the AMI the stage printed does not carry
// this deployment's tags, so it may belong to another one, and nothing was deregistered.
type TagMismatchError struct {
	AmiID      string
	Mismatches []string // "tag: want x, have y", sorted by tag
}

func (e *TagMismatchError) Error() string {
	return fmt.Sprintf("refusing to deregister %s: its tags do not match this stage (%s); it may belong to another deployment, "+
		"so nothing was deregistered (check the image, deregister it by hand if it is yours, then run the delete again)",
		e.AmiID, strings.Join(e.Mismatches, "; "))
}

// Deregister removes the one AMI the stage's bake printed (amiID: pulumi-command hands
// the last stdout of a command to its delete as PULUMI_COMMAND_STDOUT when
// addPreviousOutputInEnv is on) and its snapshots, after checking that its tags name this
// project, stack, stage and template hash. Matching by tags alone could find another
// deployment's image with the same stack names; the id alone could be stale. A mismatch
// is a TagMismatchError and deregisters nothing.
//
// An AMI that is already gone is not an error (a delete must be idempotent). No id at all
// (a bake resource created before its stdout was handed to its delete) deregisters
// nothing and says so: there is nothing left that identifies the image.
func Deregister(ctx context.Context, api ImageAPI, opts Options, amiID string) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	opts = opts.withDefaults()
	amiID = strings.TrimSpace(amiID)
	if amiID == "" {
		fmt.Fprintf(opts.Log, "bake %s: %s is empty: no AMI id identifies this stage's image of stack %s (hash %.12s); nothing deregistered, "+
			"deregister it by hand if it still exists\n", opts.Stage.Name, EnvPreviousStdout, opts.Stack, opts.TemplateHash)
		return nil
	}
	if !AmiIDPattern.MatchString(amiID) {
		return inputErrorf("%s %q is not an AMI id: nothing deregistered", EnvPreviousStdout, amiID)
	}
	out, err := api.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}, ImageIds: []string{amiID}})
	if isNotFound(err) || (err == nil && len(out.Images) == 0) {
		fmt.Fprintf(opts.Log, "bake %s: %s is already gone; nothing to deregister\n", opts.Stage.Name, amiID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("describe image %s: %w", amiID, err)
	}
	img := out.Images[0]
	if mismatches := tagMismatches(img.Tags, opts.expectedTags()); len(mismatches) > 0 {
		return &TagMismatchError{AmiID: amiID, Mismatches: mismatches}
	}
	if err := deregisterImage(ctx, api, img); err != nil {
		return err
	}
	fmt.Fprintf(opts.Log, "bake %s: deregistered %s and its snapshots\n", opts.Stage.Name, amiID)
	return nil
}

// expectedTags are the tags the templates put on a stage's AMI that identify the bake.
func (o Options) expectedTags() map[string]string {
	return map[string]string{
		"project":       o.Project,
		"stack":         o.Stack,
		"role":          o.Stage.Name,
		"template_hash": o.TemplateHash,
	}
}

// tagMismatches lists each expected tag the image lacks or has another value for.
func tagMismatches(have []ec2types.Tag, want map[string]string) []string {
	got := map[string]string{}
	for _, t := range have {
		got[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		v, ok := got[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: want %q, the image has no such tag", k, want[k]))
		case v != want[k]:
			out = append(out, fmt.Sprintf("%s: want %q, have %q", k, want[k], v))
		}
	}
	return out
}

// isNotFound: EC2 answers DescribeImages for an id that does not exist (any more) with
// InvalidAMIID.NotFound (EC2 API reference, error codes).
func isNotFound(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "InvalidAMIID.NotFound"
}

// deregisterImage deregisters first: EC2 refuses to delete the root snapshot of a
// registered AMI (EC2 API reference, DeleteSnapshot).
func deregisterImage(ctx context.Context, api ImageAPI, img ec2types.Image) error {
	id := aws.ToString(img.ImageId)
	if _, err := api.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: img.ImageId}); err != nil {
		return fmt.Errorf("deregister %s: %w", id, err)
	}
	for _, bdm := range img.BlockDeviceMappings {
		if bdm.Ebs == nil || bdm.Ebs.SnapshotId == nil {
			continue
		}
		if _, err := api.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: bdm.Ebs.SnapshotId}); err != nil {
			return fmt.Errorf("delete snapshot %s of %s: %w", aws.ToString(bdm.Ebs.SnapshotId), id, err)
		}
	}
	return nil
}
