package record

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
)

func TestRecordRoundTrip(t *testing.T) {
	rec := started(t, start(10, 50, 100))
	rec.Lease = &Lease{Owner: owner(1), Token: "tok", Acquired: t0, Renewed: t0, Expires: t0.Add(time.Minute)}
	rec.Revision = 7
	b, err := encode(rec, "w1")
	require.NoError(t, err)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(b, &raw))
	assert.EqualValues(t, SchemaVersion, raw["schema"])
	assert.Equal(t, "w1", raw["writeId"])
	assert.Equal(t, "5m0s", raw["plan"].(map[string]any)["pause"], "durations are readable")
	assert.Equal(t, "applying", raw["release"].(map[string]any)["phase"])

	got, id, err := decode(b)
	require.NoError(t, err)
	assert.Equal(t, "w1", id)
	rec.Schema = SchemaVersion
	assert.Equal(t, rec, got)
}

func TestDecodeRefuses(t *testing.T) {
	for doc, want := range map[string]string{
		`{"schema": 2}`: "schema 2; this tool reads schema 1 to 1",
		`{}`:            "schema 0",
		`{"schema": 1, "plan": {"pause": "soon"}}`: `duration "soon"`,
		`not json`: "decoding release record",
	} {
		_, _, err := decode([]byte(doc))
		assert.ErrorContains(t, err, want, doc)
	}
}

func TestCloneSharesNothing(t *testing.T) {
	rec := started(t, start(10, 100))
	rec.Lease = &Lease{Token: "a"}
	c := rec.Clone()
	c.Plan.Steps[0] = 99
	c.Release.Phase = PhaseDone
	c.Lease.Token = "b"
	c.History[0].Action = "changed"
	assert.Equal(t, 10, rec.Plan.Steps[0])
	assert.Equal(t, PhaseApplying, rec.Release.Phase)
	assert.Equal(t, "a", rec.Lease.Token)
	assert.Equal(t, "release-start", rec.History[0].Action)
}

func TestOwnerString(t *testing.T) {
	assert.Equal(t, "alice@laptop (pid 7)", Owner{User: "alice", Host: "laptop", PID: 7}.String())
	assert.Equal(t, "ci@runner (pid 9, run 123)", Owner{User: "ci", Host: "runner", PID: 9, RunID: "123"}.String())
	assert.Equal(t, infra.Weights{Blue: 30, Green: 70}, weightsWith(infra.Green, 70))
	assert.Equal(t, infra.Weights{Blue: 70, Green: 30}, weightsWith(infra.Blue, 70))
}
