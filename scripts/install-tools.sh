#!/usr/bin/env bash
# Builds the pinned tools the tests need from the Go module proxy into a git-ignored
# folder (default: <repo>/.tools). Each tool is rebuilt only when its pin changes:
# a stamp beside the binary records the tools module's go.mod + go.sum hash.
#
#   scripts/install-tools.sh            # all tools
#   scripts/install-tools.sh pulumi     # only some: pulumi packer actionlint
#
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/tools-env.sh
source "$repo/scripts/tools-env.sh"

PULUMI_VERSION=v3.274.1
PACKER_VERSION=v1.11.2
PACKER_PLUGIN_AMAZON_VERSION=v1.8.0
ACTIONLINT_VERSION=v1.7.12

mkdir -p "$WEBAPI_TOOLS_BIN" "$PACKER_PLUGIN_PATH"

stamp_of() { # the pin of a tools module: its go.mod and go.sum
  cat "$repo/tools/$1/go.mod" "$repo/tools/$1/go.sum" | sha256sum | cut -d' ' -f1
}

# build NAME MODULE_DIR PACKAGE [go build flags...]
# Sets rebuilt=1 when it built, 0 when the pinned binary was already there. A failed build
# exits the script: nothing here relies on `set -e`, which bash turns off inside a
# function called in a condition.
rebuilt=0
build() {
  local name=$1 dir=$2 pkg=$3; shift 3
  local bin="$WEBAPI_TOOLS_BIN/$name" stamp_file="$WEBAPI_TOOLS_BIN/.$name.stamp" want
  want=$(stamp_of "$dir")
  rebuilt=0
  if [[ -x $bin && -f $stamp_file && $(cat "$stamp_file") == "$want" ]]; then
    echo "install-tools: $name is up to date ($bin)"
    return 0
  fi
  echo "install-tools: building $name from $pkg ..."
  local start=$SECONDS
  if ! (cd "$repo/tools/$dir" && go build -trimpath "$@" -o "$bin.tmp" "$pkg") || ! mv "$bin.tmp" "$bin"; then
    rm -f "$bin.tmp" "$stamp_file"
    echo "install-tools: building $name from $pkg failed" >&2
    exit 1
  fi
  echo "$want" >"$stamp_file"
  rebuilt=1
  echo "install-tools: built $name in $((SECONDS - start))s"
}

install_pulumi() {
  build pulumi pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
  "$WEBAPI_TOOLS_BIN/pulumi" version | grep -qx "$PULUMI_VERSION" ||
    { echo "install-tools: pulumi reports $("$WEBAPI_TOOLS_BIN/pulumi" version), want $PULUMI_VERSION" >&2; exit 1; }
}

install_packer() {
  build packer packer github.com/hashicorp/packer
  build packer-plugin-amazon packer-plugin-amazon github.com/hashicorp/packer-plugin-amazon
  # `packer plugins install --path` copies the binary into PACKER_PLUGIN_PATH under the
  # layout `packer init` would use, so templates' required_plugins resolve offline.
  if [[ $rebuilt == 1 ]] || ! "$WEBAPI_TOOLS_BIN/packer" plugins installed 2>/dev/null | grep -q "amazon/packer-plugin-amazon_${PACKER_PLUGIN_AMAZON_VERSION}_"; then
    "$WEBAPI_TOOLS_BIN/packer" plugins install --path "$WEBAPI_TOOLS_BIN/packer-plugin-amazon" github.com/hashicorp/amazon
  fi
  "$WEBAPI_TOOLS_BIN/packer" version | grep -q "${PACKER_VERSION#v}" ||
    { echo "install-tools: packer reports $("$WEBAPI_TOOLS_BIN/packer" version), want $PACKER_VERSION" >&2; exit 1; }
}

install_actionlint() {
  build actionlint actionlint github.com/rhysd/actionlint/cmd/actionlint \
    -ldflags "-X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION"
}

tools=("$@")
[[ ${#tools[@]} -gt 0 ]] || tools=(pulumi packer actionlint)
total_start=$SECONDS
for t in "${tools[@]}"; do
  case $t in
    pulumi) install_pulumi ;;
    packer) install_packer ;;
    actionlint) install_actionlint ;;
    *) echo "install-tools: unknown tool '$t' (allowed: pulumi packer actionlint)" >&2; exit 2 ;;
  esac
done
echo "install-tools: done in $((SECONDS - total_start))s (${tools[*]})"
