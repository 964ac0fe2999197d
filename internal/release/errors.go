package release

import (
	"errors"
	"fmt"

	"github.com/webapi-platform/infra/infra"
)

// Exit codes of the tool (README: "What each failure does", and every command's --help).
// ExitCode maps an error to one.
const (
	ExitOK         = 0
	ExitFailed     = 1 // the operation failed; nothing was rolled back (or the rollback itself failed)
	ExitUsage      = 2 // bad arguments or flags; nothing ran
	ExitRefused    = 3 // a safety check refused the operation; nothing was changed
	ExitRolledBack = 4 // a shift failed its checks and the weights were restored and verified
)

// UsageError is bad input (arguments, flags, an environment the tool cannot work in):
// nothing ran.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }

func (e UsageError) Unwrap() error { return e.Err }

// Usagef builds a UsageError; %w wraps as fmt.Errorf does.
func Usagef(format string, a ...any) error { return UsageError{fmt.Errorf(format, a...)} }

// Refusal is a safety check saying no before anything changes, or a release stopping
// at once without touching traffic (someone else moved it, or took the lease).
type Refusal struct {
	msg string
	err error // what it stems from, when it has a cause of its own
}

func (r Refusal) Error() string { return "refused: " + r.msg }

func (r Refusal) Unwrap() error { return r.err }

// Refusef builds a Refusal.
func Refusef(format string, a ...any) error { return Refusal{msg: fmt.Sprintf(format, a...)} }

// RolledBack reports a shift that failed and was put back where it began.
type RolledBack struct {
	Cause    error
	Restored infra.Weights
}

func (r RolledBack) Error() string {
	return fmt.Sprintf("shift failed and was rolled back to %s: %v", r.Restored, r.Cause)
}

func (r RolledBack) Unwrap() error { return r.Cause }

// ExitCode maps an error to the documented exit codes.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, new(UsageError)):
		return ExitUsage
	case errors.As(err, new(Refusal)):
		return ExitRefused
	case errors.As(err, new(RolledBack)):
		return ExitRolledBack
	}
	return ExitFailed
}
