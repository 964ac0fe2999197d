package bake

import (
	"fmt"
	"time"
)

// The prerequisites stage's variables that say which .NET channel it installs and when
// that channel's support ends (set by infra/image.go from internal/dotnet/channels.json).
const (
	EnvDotnetChannel      = PackerVarPrefix + "dotnet_channel"
	EnvDotnetEndOfSupport = PackerVarPrefix + "dotnet_end_of_support"
)

// SupportWarning is the bake log's line about a .NET channel past its end of support
// (empty while it is supported, or when the stage installs no .NET). The end-of-support
// day itself still counts as supported: its patch is the channel's last.
func SupportWarning(getenv func(string) string, now time.Time) string {
	channel, eol := getenv(EnvDotnetChannel), getenv(EnvDotnetEndOfSupport)
	if channel == "" || eol == "" {
		return ""
	}
	end, err := time.Parse("2006-01-02", eol)
	if err != nil {
		return fmt.Sprintf("WARNING: %s %q is not a date; cannot tell whether .NET %s is supported", EnvDotnetEndOfSupport, eol, channel)
	}
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if !day.After(end) {
		return ""
	}
	return fmt.Sprintf("WARNING: .NET %s reached end of support on %s; this image installs a runtime that gets no more security fixes "+
		"(move the app to a supported channel: README, Images)", channel, eol)
}
