// Package killpoint holds the engine tests that kill the bluegreen tool at each named
// point of a release (release.Checkpoint*), or interrupt it, on the AWS double, and prove
// that the next command reaches a correct state. It has no code of its own: the tests
// build the tool with the awsdouble tag (scripts/bluegreen/awsdouble_wiring.go) and run it
// as a subprocess in an enginetest World.
package killpoint
