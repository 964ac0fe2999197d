#!/usr/bin/env bash
# `packer validate` of both templates, offline, with placeholder variables (no AWS
# credentials or network needed; the source AMI filter is not resolved), once per
# Windows Server version the stacks can choose (webapi:windowsVersion).
#   scripts/validate-images.sh [images-dir]     default: <repo>/images
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/tools-env.sh
source "$repo/scripts/tools-env.sh"
dir=${1:-$repo/images}
common=(-var region=eu-west-1 -var stack=validate -var template_hash=0000 -var manifest_path=/dev/null)
sha=$(printf '0%.0s' {1..128})
dotnet=(
  -var dotnet_channel=10.0
  -var dotnet_version=10.0.12
  -var dotnet_end_of_support=2028-11-14
  -var hosting_bundle_url=https://builds.dotnet.microsoft.com/dotnet/aspnetcore/Runtime/10.0.12/dotnet-hosting-10.0.12-win.exe
  -var "hosting_bundle_sha512=$sha"
  -var dotnet_sdk_version=10.0.401
  -var dotnet_sdk_url=https://builds.dotnet.microsoft.com/dotnet/Sdk/10.0.401/dotnet-sdk-10.0.401-win-x64.exe
  -var "dotnet_sdk_sha512=$sha"
)
app=(
  -var color=blue
  -var prerequisites_ami_id=ami-0123456789abcdef0
  -var app_repository=https://example.com/webapi.git
  -var app_ref=v1.0.0
  -var app_commit=0123456789abcdef0123456789abcdef01234567
  -var dotnet_framework=net10.0
)
for windows in 2022 2025; do
  echo "== Windows Server $windows"
  packer validate "${common[@]}" "${dotnet[@]}" -var "windows_version=$windows" "$dir/windows-prerequisites.pkr.hcl"
  packer validate "${common[@]}" "${app[@]}" -var "windows_version=$windows" "$dir/windows-app.pkr.hcl"
done
# The prerequisites stage on a pinned base image (webapi:baseAmiId: source_ami).
packer validate "${common[@]}" "${dotnet[@]}" -var base_ami_id=ami-0123456789abcdef0 "$dir/windows-prerequisites.pkr.hcl"
# The app stage with a private repository's token secret (the temporary instance profile).
packer validate "${common[@]}" "${app[@]}" -var app_repository_token_secret=webapi/github-token "$dir/windows-app.pkr.hcl"
