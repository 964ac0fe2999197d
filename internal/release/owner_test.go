package release

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/webapi-platform/infra/internal/record"
)

func TestOwnerFromEnv(t *testing.T) {
	gh := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "org/infra", "GITHUB_RUN_ID": "42", "GITHUB_SERVER_URL": "https://github.com"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want record.Owner
	}{
		{"laptop", nil, record.Owner{User: "alice", Host: "lap", PID: 7, RunID: "alice@lap"}},
		{"GitHub Actions", gh, record.Owner{User: "alice", Host: "lap", PID: 7, RunID: "github:org/infra#42", RunURL: "https://github.com/org/infra/actions/runs/42"}},
		{"explicit", map[string]string{OwnerEnv: "release-bot"}, record.Owner{User: "alice", Host: "lap", PID: 7, RunID: "release-bot"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := OwnerFromEnv(func(k string) string { return tc.env[k] }, "alice", "lap", 7)
			assert.Equal(t, tc.want, got)
		})
	}
}
