package release

import (
	"fmt"

	"github.com/webapi-platform/infra/internal/record"
)

// OwnerEnv names the variable that, when set, is the lease owner's identity: runs with
// the same value are the same owner (one takes the other's lease over, with a token of
// its own unless they share a job lease).
const OwnerEnv = "WEBAPI_LEASE_OWNER"

// OwnerFromEnv says who a run of the tool is, for the lease and the history: the
// identity WEBAPI_LEASE_OWNER gives; in GitHub Actions the workflow run
// (github:<repo>#<run id>, so a re-run of a job is the same owner, and its URL); else
// user@host. Two runs with the same identity are the same owner: a later command takes
// the lease over from an earlier one without waiting for it to expire, and gets its own
// token, so a command of that owner still running (another terminal) stops at its next
// renewal instead of changing traffic alongside (record.AcquireLease).
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
