package infra

import "slices"

// WindowsVersions are the values webapi:windowsVersion allows, for the tool's flags.
func WindowsVersions() []string { return slices.Clone(windowsVersions) }
