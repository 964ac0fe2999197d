#!/usr/bin/env bash
# `packer validate` of both templates, offline, with placeholder variables (no AWS
# credentials or network needed; the source AMI filter is not resolved).
#   scripts/validate-images.sh [images-dir]     default: <repo>/images
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/tools-env.sh
source "$repo/scripts/tools-env.sh"
dir=${1:-$repo/images}
common=(-var region=eu-west-1 -var stack=validate -var template_hash=0000 -var manifest_path=/dev/null)
packer validate "${common[@]}" "$dir/windows-prerequisites.pkr.hcl"
packer validate "${common[@]}" \
  -var color=blue \
  -var prerequisites_ami_id=ami-0123456789abcdef0 \
  -var app_repository=https://example.com/webapi.git \
  -var app_ref=v1.0.0 \
  -var app_commit=0123456789abcdef0123456789abcdef01234567 \
  "$dir/windows-app.pkr.hcl"
