package release

import (
	"context"
	"errors"

	"github.com/webapi-platform/infra/infra"
)

// DirectOptions are the options of `rollback --direct`.
type DirectOptions struct {
	To    infra.Color // explicit destination; empty: the release record's stable colour
	Force bool        // even when the destination is not ready
	// ListenerArn and TargetGroupArns (colour → ARN) name the edge when the release
	// record does not (flags); given, they win over the record's.
	ListenerArn     string
	TargetGroupArns map[string]string
}

// RollbackDirect is the break-glass rollback.
func (r *Release) RollbackDirect(ctx context.Context, opts DirectOptions) error {
	return errors.New("not implemented")
}
