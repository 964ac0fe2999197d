package release

import (
	"fmt"

	"github.com/webapi-platform/infra/internal/record"
)

// OwnerEnv names the variable that, when set, is the lease owner's identity: runs with
// the same value are the same owner (they renew each other's lease).
const OwnerEnv = "WEBAPI_LEASE_OWNER"

// OwnerFromEnv says who a run of the tool is, for the lease and the history: the
// identity WEBAPI_LEASE_OWNER gives; in GitHub Actions the workflow run
// (github:<repo>#<run id>, so a re-run of a job is the same owner, and its URL); else
// user@host. Two runs with the same identity are the same owner.
func OwnerFromEnv(getenv func(string) string, user, host string, pid int) record.Owner {
	o := record.Owner{User: user, Host: host, PID: pid, RunID: user + "@" + host}
	repo, runID := getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID")
	if getenv("GITHUB_ACTIONS") == "true" && repo != "" && runID != "" {
		o.RunID = fmt.Sprintf("github:%s#%s", repo, runID)
		if server := getenv("GITHUB_SERVER_URL"); server != "" {
			o.RunURL = fmt.Sprintf("%s/%s/actions/runs/%s", server, repo, runID)
		}
	}
	if id := getenv(OwnerEnv); id != "" {
		o.RunID = id
	}
	return o
}
