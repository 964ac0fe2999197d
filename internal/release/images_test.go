package release

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
)

const (
	pinA = "ami-0aaaaaaaaaaaaaaaa"
	pinB = "ami-0bbbbbbbbbbbbbbbb"
)

// fakeImages serves scripted Amazon Windows Server images by version.
type fakeImages struct {
	byVersion map[string][]BaseImage
	asked     []string
}

func (f *fakeImages) WindowsBaseImages(_ context.Context, version string) ([]BaseImage, error) {
	f.asked = append(f.asked, version)
	return f.byVersion[version], nil
}

func image(id, name string, day int) BaseImage {
	return BaseImage{ID: id, Name: name, Created: time.Date(2026, 11, day, 6, 0, 0, 0, time.UTC)}
}

// deploy --base-ami reaches the program as a run option (never the checkout).
func TestDeployBaseAmiIsARunOption(t *testing.T) {
	f := newFixture(0, infra.Blue)
	require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{BaseAmiID: pinA}))
	assert.Equal(t, pinA, f.eng.runConfig[infra.Green]["baseAmiId"])
	assert.NotContains(t, f.eng.config[infra.Green], "baseAmiId", "nothing is written into the checkout")
}

// A later deploy without --base-ami keeps the pin the colour's outputs record; the flag
// replaces it; a colour that never had one gets none (its triggers stay as they were).
func TestDeployKeepsTheBaseAmiFromTheOutputs(t *testing.T) {
	f := newFixture(0, infra.Blue)
	f.aws.outputs[infra.Green][infra.OutBaseAmiID] = pinA
	require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{AppRef: "v3"}))
	assert.Equal(t, pinA, f.eng.runConfig[infra.Green]["baseAmiId"], "kept from the outputs")

	require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{BaseAmiID: pinB}))
	assert.Equal(t, pinB, f.eng.runConfig[infra.Green]["baseAmiId"], "the flag wins")

	f.aws.outputs[infra.Green][infra.OutBaseAmiID] = ""
	require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{}))
	assert.NotContains(t, f.eng.runConfig[infra.Green], "baseAmiId", "empty output: no pin")
	delete(f.aws.outputs[infra.Green], infra.OutBaseAmiID)
	require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{}))
	assert.NotContains(t, f.eng.runConfig[infra.Green], "baseAmiId", "a stack deployed before the output existed: no pin")
}

// A bad pin is refused by the program's own rules before anything runs.
func TestDeployRefusesABadBaseAmi(t *testing.T) {
	f := newFixture(0, infra.Blue)
	err := f.r.Deploy(context.Background(), infra.Green, DeployOptions{BaseAmiID: "ami-nope"})
	assert.Equal(t, ExitUsage, ExitCode(err), "%v", err)
	assert.ErrorContains(t, err, `webapi:baseAmiId: "ami-nope" is not allowed`)
	assert.Empty(t, f.eng.ups, "nothing ran")
}

func TestNewestBaseImage(t *testing.T) {
	images := []BaseImage{
		image("ami-0000000000000000b", "Windows_Server-2022-English-Full-Base-2026.11.12", 12),
		image("ami-0000000000000000c", "Windows_Server-2022-English-Full-Base-2026.11.26", 26),
		image("ami-0000000000000000a", "Windows_Server-2022-English-Full-Base-2026.10.15", 1),
	}
	newest, ok := NewestBaseImage(images)
	require.True(t, ok)
	assert.Equal(t, "ami-0000000000000000c", newest.ID)
	_, ok = NewestBaseImage(nil)
	assert.False(t, ok)
}

// base-ami asks for the idle colour's windowsVersion unless told one, and answers the
// newest image; none is a refusal (exit 3) naming what was asked.
func TestBaseAmiPicksTheNewestForTheIdleColour(t *testing.T) {
	f := newFixture(0, infra.Blue)
	f.eng.config[infra.Green]["windowsVersion"] = "2025"
	imgs := &fakeImages{byVersion: map[string][]BaseImage{
		"2025": {image("ami-02025000000000001", "Windows_Server-2025-English-Full-Base-2026.11.12", 12), image("ami-02025000000000002", "Windows_Server-2025-English-Full-Base-2026.11.26", 26)},
		"2022": {image("ami-02022000000000001", "Windows_Server-2022-English-Full-Base-2026.11.26", 26)},
	}}
	got, err := f.r.BaseAmi(context.Background(), imgs, "")
	require.NoError(t, err)
	assert.Equal(t, "ami-02025000000000002", got.ID)
	assert.Equal(t, []string{"2025"}, imgs.asked, "green is idle: its windowsVersion")

	got, err = f.r.BaseAmi(context.Background(), imgs, "2022")
	require.NoError(t, err)
	assert.Equal(t, "ami-02022000000000001", got.ID)

	delete(imgs.byVersion, "2025")
	_, err = f.r.BaseAmi(context.Background(), imgs, "")
	assert.Equal(t, ExitRefused, ExitCode(err), "%v", err)
	assert.ErrorContains(t, err, "no available Amazon-owned image named Windows_Server-2025-English-Full-Base-*")
}
