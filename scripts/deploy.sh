#!/usr/bin/env bash
# Deploy one stack to AWS (README: "Deploy a stack").
#
#   PULUMI_CONFIG_PASSPHRASE=... scripts/deploy.sh blue [bluegreen deploy flags]
#
# Runs the program inline through the Automation API (`bluegreen deploy`), so it needs
# the Pulumi CLI only, not its Go language host: the one scripts/install-tools.sh builds
# works, and so does an official install. State goes to PULUMI_BACKEND_URL when set (S3,
# Pulumi Cloud), otherwise to a file backend in <repo>/.pulumi (git-ignored). Deploy blue
# (the edge stack) first. The deploy takes the release lease and writes nothing of the
# release into Pulumi.<stack>.yaml but --app-ref/--desired-capacity (README: "State and
# locking").
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
stack=${1:-}
case $stack in
  blue | green) shift ;;
  *) echo "deploy: stack '${stack}' is not allowed: want blue or green" >&2; exit 2 ;;
esac
# shellcheck source=scripts/tools-env.sh
source "$repo/scripts/tools-env.sh" # prefers the pinned CLI in .tools/bin when it is there
command -v pulumi >/dev/null || { echo "deploy: pulumi is not on PATH: run scripts/install-tools.sh pulumi" >&2; exit 2; }
cd "$repo"
# Built rather than `go run`, which would turn the tool's exit codes (README) into 1.
go build -o "$WEBAPI_TOOLS_BIN/bluegreen" ./scripts/bluegreen
exec "$WEBAPI_TOOLS_BIN/bluegreen" deploy "$stack" "$@"
