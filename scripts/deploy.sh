#!/usr/bin/env bash
# Deploy one stack to AWS with `pulumi up` (README: "Deploy a stack").
#
#   PULUMI_CONFIG_PASSPHRASE=... scripts/deploy.sh blue [extra `pulumi up` flags]
#
# State goes to PULUMI_BACKEND_URL when set (S3, Pulumi Cloud), otherwise to a local
# file backend in <repo>/.pulumi (git-ignored). Deploy blue (the edge stack) first.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
stack=${1:-}
case $stack in
  blue | green) shift ;;
  *) echo "deploy: stack '${stack}' is not allowed: want blue or green" >&2; exit 2 ;;
esac
if [[ -z ${PULUMI_CONFIG_PASSPHRASE:-} && -z ${PULUMI_CONFIG_PASSPHRASE_FILE:-} && -z ${PULUMI_BACKEND_URL:-} ]]; then
  echo "deploy: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to encrypt this stack's secrets" >&2
  exit 2
fi
command -v pulumi >/dev/null || { echo "deploy: pulumi is not on PATH (see README: Prerequisites)" >&2; exit 2; }
cd "$repo"
if [[ -z ${PULUMI_BACKEND_URL:-} ]]; then
  mkdir -p "$repo/.pulumi"
  export PULUMI_BACKEND_URL="file://$repo/.pulumi"
fi
pulumi stack select --create "$stack"
pulumi up --stack "$stack" "$@"
