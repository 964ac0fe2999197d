package bake

import "strings"

// EnvPreviousStdout is where pulumi-command hands a command the stdout of its last run
// when addPreviousOutputInEnv is on (pulumi-command provider/pkg/provider/local/
// commandOutputs.go, util.PULUMI_COMMAND_STDOUT). A bake's stdout is its AMI id alone.
const EnvPreviousStdout = "PULUMI_COMMAND_STDOUT"

// Current returns the AMI id the stage's last bake printed, for the command's update: an
// update runs when an input that does not identify the bake changes (the triggers do,
// and a trigger change replaces the resource, which bakes). Re-printing the AMI keeps
// such an update from baking for 30-60 minutes and from changing the image.
func Current(getenv func(string) string) (string, error) {
	prev := strings.TrimSpace(getenv(EnvPreviousStdout))
	if !AmiIDPattern.MatchString(prev) {
		return "", inputErrorf("%s %q is not an AMI id: the last bake of this stage left none; "+
			"bake it again with `pulumi up --replace <the stage's URN>`", EnvPreviousStdout, prev)
	}
	return prev, nil
}
